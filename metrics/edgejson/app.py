"""The EdgeJSON metric widget: paste raw model outputs and expected JSON, read the scores.

evaluate's own ``launch_gradio_widget`` uses ``gr.inputs``, which Gradio 4 removed, so this is its small equivalent.
Usage: ``python app.py`` (a Hugging Face Space runs it as is)
"""

from pathlib import Path

import evaluate
import gradio as gr

HERE = Path(__file__).resolve().parent
COLUMNS = ["predictions", "references", "schemas"]
EXAMPLE = [
    ['Sure! {"name": "Ada", "age": 36}', '{"name": "Ada", "age": 36}', ""],
    ['{"name": "Ada", "age": "36"}', '{"name": "Ada", "age": 36}', ""],
]

metric = evaluate.load(str(HERE / "edgejson.py"))


def score(table: list[list[str]]) -> dict:
    """Score the filled rows of the table; the schemas column is used when every row has one."""
    rows = [[str(cell or "") for cell in row] for row in table if any(str(cell or "").strip() for cell in row)]
    if not rows:
        raise gr.Error("Fill at least one row: a raw output and its expected JSON.")
    predictions, references, schemas = (list(column) for column in zip(*rows, strict=True))
    try:
        return metric.compute(
            predictions=predictions,
            references=references,
            schemas=schemas if all(s.strip() for s in schemas) else None,
            return_details=True,
        )
    except ValueError as err:
        raise gr.Error(str(err)) from None


def _card() -> str:
    text = (HERE / "README.md").read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1] if text.startswith("---\n") else text


demo = gr.Interface(
    fn=score,
    inputs=gr.Dataframe(
        value=EXAMPLE, headers=COLUMNS, datatype="str", type="array", column_count=3, label="One example a row"
    ),
    outputs=gr.JSON(label=metric.name),
    title=f"Metric: {metric.name}",
    description=metric.info.description,
    article=_card(),
    flagging_mode="never",
)

if __name__ == "__main__":
    demo.launch()
