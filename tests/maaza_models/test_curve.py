"""``python -m maaza.evaluation.curve`` on a tiny run: every checkpoint scored on both validation slices, JSON and
plot written, a rerun scores nothing again."""

import json
import shutil

from maaza.evaluation.curve import main as curve_main
from maaza.recipes import recipe_parser
from maaza.training import train


def test_every_checkpoint_is_scored_against_its_training_minutes(recipe, tiny_dataset, tmp_path, capsys):
    dataset = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, dataset)
    (dataset / "data" / "generated").mkdir()
    shutil.copy(dataset / "data" / "validation.jsonl", dataset / "data" / "generated" / "validation.jsonl")
    path = recipe(max_steps=2, save_steps=1, eval_steps=1, save_total_limit=None, dataset_name=str(dataset))
    adapter = train(*recipe_parser().parse_args_and_config(["--config", str(path)]))
    argv = ["--recipe", str(path), "--limit", "2"]
    assert curve_main(argv) == 0
    curve = json.loads((adapter / "learning_curve.json").read_text())
    assert [p["step"] for p in curve["points"]] == [1, 2]
    assert 0 < curve["points"][0]["train_seconds"] <= curve["points"][1]["train_seconds"]
    assert all(0 <= p["json_exact_seen"] <= 1 and 0 <= p["json_exact_unseen"] <= 1 for p in curve["points"])
    assert (adapter / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    scored = {p: p.stat().st_mtime_ns for p in (adapter / "curve").rglob("*.json")}
    assert len(scored) == 4  # two checkpoints x two slices
    assert curve_main(argv) == 0
    assert {p: p.stat().st_mtime_ns for p in (adapter / "curve").rglob("*.json")} == scored
    assert "step     2" in capsys.readouterr().out
    info = json.loads((adapter / "training_info.json").read_text())
    assert curve["run"] == {
        "recipe": str(path),
        "adapter_dir": str(adapter),
        "cpu": info["hardware"]["cpu"],
        "train_seconds": info["train_seconds"],
    }


def test_a_rerun_s_curve_goes_beside_another_adapter_and_names_its_run(recipe, tiny_dataset, tmp_path):
    """``--out``: the curve of a rerun goes beside the released adapter, its results files stay with the rerun."""
    dataset = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, dataset)
    (dataset / "data" / "generated").mkdir()
    shutil.copy(dataset / "data" / "validation.jsonl", dataset / "data" / "generated" / "validation.jsonl")
    path = recipe(max_steps=1, save_steps=1, eval_steps=1, dataset_name=str(dataset))
    rerun = train(*recipe_parser().parse_args_and_config(["--config", str(path)]))
    released = tmp_path / "released"
    assert curve_main(["--recipe", str(path), "--limit", "2", "--out", str(released)]) == 0
    curve = json.loads((released / "learning_curve.json").read_text())
    assert curve["run"]["adapter_dir"] == str(rerun) and [p["step"] for p in curve["points"]] == [1]
    assert (released / "learning_curve.png").is_file() and not (released / "curve").exists()
    assert not (rerun / "learning_curve.json").exists() and len(list((rerun / "curve").rglob("*.json"))) == 2


def test_a_run_without_checkpoints_is_a_clear_error(recipe, capsys):
    assert curve_main(["--recipe", str(recipe())]) == 2
    assert "no checkpoint-* folder" in capsys.readouterr().err


def test_a_second_stage_continues_the_curve_of_the_adapter_it_started_from(recipe, tiny_dataset, tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, dataset)
    (dataset / "data" / "generated").mkdir()
    shutil.copy(dataset / "data" / "validation.jsonl", dataset / "data" / "generated" / "validation.jsonl")
    common = {"max_steps": 2, "save_steps": 1, "eval_steps": 1, "save_total_limit": None, "dataset_name": str(dataset)}
    first_recipe = recipe(**common)
    first = train(*recipe_parser().parse_args_and_config(["--config", str(first_recipe)]))
    assert curve_main(["--recipe", str(first_recipe), "--limit", "2"]) == 0
    first_points = json.loads((first / "learning_curve.json").read_text())["points"]
    info = json.loads((first / "training_info.json").read_text())
    info["train_seconds"] = 1000.0  # as if the first stage took 1,000 s (a tiny run rounds to 0.0)
    (first / "training_info.json").write_text(json.dumps(info))

    second_recipe = recipe(
        **common, init_adapter=str(first), adapter_dir=str(tmp_path / "second"), output_dir=str(tmp_path / "run2")
    )
    second = train(*recipe_parser().parse_args_and_config(["--config", str(second_recipe)]))
    assert curve_main(["--recipe", str(second_recipe), "--limit", "2"]) == 0
    points = json.loads((second / "learning_curve.json").read_text())["points"]
    assert points[:2] == first_points and [p["step"] for p in points] == [1, 2, 3, 4]
    assert 1000.0 < points[2]["train_seconds"] <= points[3]["train_seconds"]
    assert curve_main(["--recipe", str(second_recipe), "--limit", "3"]) == 2  # the first stage's curve used 2 rows


def test_a_recipe_the_training_refuses_is_refused_alike(recipe, capsys):
    """The curve reads a recipe as the training script does (TrlParser and the recipe checks): one reader."""
    assert curve_main(["--recipe", str(recipe(adapter_dir=None))]) == 2
    assert "bad recipe" in (err := capsys.readouterr().err) and "missing required field(s): adapter_dir" in err
    assert curve_main(["--recipe", str(recipe(lora_rank=4))]) == 2
    assert "Unknown arguments from config file: ['--lora_rank', '4']" in capsys.readouterr().err
