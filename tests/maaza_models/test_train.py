"""The training script end to end on a tiny model: adapter, masking, resume, and errors for bad recipes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
import yaml
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import ModelConfig, SFTConfig, SFTTrainer

from maaza.recipes import ScriptArguments, recipe_parser
from maaza.training import build_trainer, train

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "maaza_models" / "train.py"
RECIPES = ROOT / "maaza_models" / "recipes"


def _script_main():
    spec = importlib.util.spec_from_file_location("maaza_train_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _parse(recipe_path: Path) -> tuple[ScriptArguments, SFTConfig, ModelConfig]:
    return recipe_parser().parse_args_and_config(["--config", str(recipe_path)])


def test_script_trains_an_adapter_that_peft_loads(trained, tiny_base):
    assert sorted(p.name for p in trained.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "training_info.json",
    ]
    config = json.loads((trained / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_base)
    assert config["r"] == 4 and sorted(config["target_modules"]) == ["q_proj", "v_proj"]

    base = AutoModelForCausalLM.from_pretrained(tiny_base)
    model = PeftModel.from_pretrained(base, trained)
    lora_b = [p for name, p in model.named_parameters() if "lora_B" in name]
    assert lora_b and any(p.abs().sum() > 0 for p in lora_b)  # trained: LoRA B starts at zero
    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    out = model.generate(torch.tensor([ids["input_ids"]]), max_new_tokens=3, do_sample=False)
    assert out.shape[1] == len(ids["input_ids"]) + 3 or out[0, -1] == tokenizer.eos_token_id


def test_training_info_records_the_run(trained):
    info = json.loads((trained / "training_info.json").read_text())
    assert info["steps"] == 2
    assert info["dataset"]["train"]["rows"] == 16 and info["dataset"]["eval"]["rows"] == 4
    assert [e["step"] for e in info["eval_loss"]] == [1, 2]
    assert info["best_eval_loss"] == min(e["eval_loss"] for e in info["eval_loss"])
    assert info["best_checkpoint"] in {"checkpoint-1", "checkpoint-2"}
    assert info["hyperparameters"]["seed"] == 3  # the command-line override reached the run
    assert info["hyperparameters"]["lora_r"] == 4 and info["hyperparameters"]["completion_only_loss"] is True
    assert info["train_seconds"] > 0 and info["hardware"]["cpu_cores"] >= 1


def test_loss_is_on_the_completion_only(recipe, tiny_dataset):
    trainer = build_trainer(*_parse(recipe()))
    tokenizer = trainer.processing_class
    rows = [json.loads(line) for line in (tiny_dataset / "data" / "train.jsonl").read_text().splitlines()]
    for example, row in zip(trainer.train_dataset, rows, strict=True):
        ids, labels = example["input_ids"], example["labels"]
        start = next(i for i, label in enumerate(labels) if label != -100)
        assert all(label == -100 for label in labels[:start])
        assert labels[start:] == ids[start:]
        assert tokenizer.decode(ids[:start]).endswith("<|im_start|>assistant\n")
        assert tokenizer.decode(labels[start:]) == row["expected_output"] + "<|im_end|>\n"


def test_the_answer_only_head_gives_trl_s_loss(recipe):
    trainer = build_trainer(*_parse(recipe()))
    batch = next(iter(trainer.get_train_dataloader()))
    ours = trainer.compute_loss(trainer.model, dict(batch))
    trl_loss = SFTTrainer.compute_loss(trainer, trainer.model, dict(batch))
    assert ours.requires_grad
    torch.testing.assert_close(ours, trl_loss, rtol=1e-5, atol=1e-5)


class _Interrupt(TrainerCallback):
    """Kill the run right after the checkpoint of step ``at`` is written, as a crash would."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_save(self, args, state, control, **kwargs):
        if state.global_step == self.at:
            raise KeyboardInterrupt


class _CountSteps(TrainerCallback):
    def __init__(self) -> None:
        self.steps = 0

    def on_step_end(self, args, state, control, **kwargs):
        self.steps += 1


def test_a_killed_run_resumes_from_its_last_checkpoint(recipe):
    path = recipe(max_steps=4, save_steps=2, eval_steps=2)
    with pytest.raises(KeyboardInterrupt):
        train(*_parse(path), callbacks=[_Interrupt(at=2)])
    run = Path(yaml.safe_load(path.read_text())["output_dir"])
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-2"]
    seconds_before = json.loads((run / "checkpoint-2" / "trainer_state.json").read_text())["stateful_callbacks"][
        "WallClock"
    ]["args"]["seconds"]

    counter = _CountSteps()
    adapter_dir = train(*_parse(path), callbacks=[counter])
    info = json.loads((adapter_dir / "training_info.json").read_text())
    assert counter.steps == 2  # steps 3 and 4 only: resumed, not restarted
    assert info["steps"] == 4 and info["resumed_from"] == "checkpoint-2"
    assert info["train_seconds"] > seconds_before > 0


def test_a_bfloat16_adapter_holds_the_trained_weights_rounded(recipe, tiny_base):
    path = recipe(adapter_dtype="bfloat16")
    adapter_dir = train(*_parse(path))
    trained = load_file(Path(yaml.safe_load(path.read_text())["output_dir"]) / "adapter_model.safetensors")
    saved = load_file(adapter_dir / "adapter_model.safetensors")
    assert saved.keys() == trained.keys()
    for name, tensor in saved.items():
        assert trained[name].dtype == torch.float32 and tensor.dtype == torch.bfloat16
        assert torch.equal(tensor, trained[name].to(torch.bfloat16))
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_base), adapter_dir)
    lora_b = [p for name, p in model.named_parameters() if "lora_B" in name]
    assert lora_b and all(p.dtype == torch.float32 for p in lora_b) and any(p.abs().sum() > 0 for p in lora_b)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model_name_or_path": None}, "missing required field(s): model_name_or_path"),
        ({"adapter_dir": None}, "missing required field(s): adapter_dir"),
        ({"use_peft": False}, "use_peft must be true"),
        ({"learning_rate": 0.0}, "learning_rate = 0.0 is impossible: it must be > 0"),
        ({"lora_r": 0}, "lora_r = 0 is impossible: it must be > 0"),
        ({"lora_dropout": 1.5}, "lora_dropout = 1.5 is impossible: it must be in [0, 1)"),
        ({"max_length": 32}, "max_length = 32 is impossible: it must be >= 64"),
        ({"completion_only_loss": False}, "completion_only_loss must not be false"),
        ({"adapter_dtype": "int8"}, "adapter_dtype = 'int8' is impossible: it must be one of float32, bfloat16"),
        ({"dataset_eval_split": "dev"}, "dataset_eval_split = 'dev': Unknown split \"dev\". Should be one of"),
        (
            {"model_name_or_path": "no-such-base"},
            "unknown model 'no-such-base': tried a registered base (smollm2-135m",
        ),
    ],
)
def test_bad_recipes_fail_before_training_with_a_clear_message(recipe, overrides, message):
    path = recipe(**overrides)
    with pytest.raises(SystemExit) as exc:
        _script_main()(["--config", str(path)])
    assert message in str(exc.value)
    assert not Path(yaml.safe_load(path.read_text())["output_dir"]).exists()


def test_unknown_recipe_keys_are_refused(recipe):
    with pytest.raises(SystemExit, match="bad recipe: Unknown arguments from config file: .*lora_rank"):
        _script_main()(["--config", str(recipe(lora_rank=8))])


@pytest.mark.parametrize("recipe_file", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.stem)
def test_released_recipes_train_a_tiny_model(recipe_file, tmp_path, tiny_base, tiny_dataset):
    script_args, training_args, model_args = _parse(recipe_file)
    assert script_args.adapter_dir == f"maaza_models/{recipe_file.stem}"
    assert training_args.load_best_model_at_end and training_args.metric_for_best_model == "eval_loss"
    assert training_args.eval_strategy == "steps" and training_args.completion_only_loss

    overrides = {
        "model_name_or_path": str(tiny_base),
        "dataset_name": str(tiny_dataset),
        "dataset_configs": "default",  # the tiny dataset has no generated config
        "dataset_eval_split": "validation",
        "output_dir": str(tmp_path / "run"),
        "adapter_dir": str(tmp_path / "adapter"),
        "max_steps": "2",
        "eval_steps": "1",
        "save_steps": "1",
        "per_device_train_batch_size": "4",
    }
    argv = ["--config", str(recipe_file), *(item for key, value in overrides.items() for item in (f"--{key}", value))]
    _script_main()(argv)
    info = json.loads((tmp_path / "adapter" / "training_info.json").read_text())
    assert info["steps"] == 2 and info["hyperparameters"]["lora_r"] == model_args.lora_r


def test_a_recipe_trains_on_the_train_splits_of_several_configs(recipe, tiny_dataset, tmp_path):
    folder = tmp_path / "two_configs"
    (folder / "data" / "generated").mkdir(parents=True)
    rows = (tiny_dataset / "data" / "train.jsonl").read_text().splitlines()
    (folder / "data" / "train.jsonl").write_text("\n".join(rows[:10]) + "\n")
    (folder / "data" / "validation.jsonl").write_text((tiny_dataset / "data" / "validation.jsonl").read_text())
    (folder / "data" / "generated" / "train.jsonl").write_text("\n".join(rows[10:]) + "\n")
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.jsonl\n"
        "  - split: validation\n    path: data/validation.jsonl\n- config_name: generated\n  data_files:\n"
        "  - split: train\n    path: data/generated/train.jsonl\n---\n"
    )
    path = recipe(dataset_name=str(folder), dataset_configs=["default", "generated"], max_steps=1)
    info = json.loads((train(*_parse(path)) / "training_info.json").read_text())
    assert info["dataset"]["train"]["configs"] == ["default", "generated"]
    assert info["dataset"]["train"]["rows"] == len(rows) and info["dataset"]["eval"]["configs"] == ["default"]
    with pytest.raises(SystemExit, match="config 'nope'"):
        _script_main()(["--config", str(recipe(dataset_name=str(folder), dataset_configs=["default", "nope"]))])


def test_a_second_stage_starts_from_the_first_stage_s_adapter(recipe, tmp_path):
    first = train(*_parse(recipe(max_steps=2)))
    first_info = json.loads((first / "training_info.json").read_text())
    first_info["train_seconds"] = 1000.0  # as if the first stage took 1,000 s: the second counts them too
    (first / "training_info.json").write_text(json.dumps(first_info))
    second = train(
        *_parse(
            recipe(
                init_adapter=str(first),
                adapter_dir=str(tmp_path / "second"),
                output_dir=str(tmp_path / "second-run"),
                learning_rate=1e-9,
                max_steps=2,
            )
        )
    )
    before, after = load_file(first / "adapter_model.safetensors"), load_file(second / "adapter_model.safetensors")
    assert before.keys() == after.keys()
    assert any(tensor.abs().sum() > 0 for name, tensor in before.items() if "lora_B" in name)
    for name, tensor in after.items():  # a fresh LoRA would start with every lora_B at zero
        torch.testing.assert_close(tensor, before[name], atol=1e-6, rtol=0)
    info = json.loads((second / "training_info.json").read_text())
    assert info["init_adapter"]["path"] == str(first) and info["init_adapter"]["steps"] == 2
    assert info["steps"] == 2 and info["init_adapter"]["train_seconds"] == 1000.0
    assert 1000.0 <= info["train_seconds"] < 1000.0 + info["this_run_seconds"] + 1


def test_an_init_adapter_with_other_lora_fields_is_refused(recipe, trained):
    path = recipe(init_adapter=str(trained))  # trained on q_proj and v_proj; this recipe's LoRA has four modules
    with pytest.raises(SystemExit, match=r"init_adapter: .* has lora_target_modules = \['q_proj', 'v_proj'\]"):
        _script_main()(["--config", str(path)])


def test_an_init_adapter_cannot_be_overwritten_by_its_own_run(recipe, tmp_path):
    path = recipe(init_adapter=str(tmp_path / "adapter"))  # the fixture's adapter_dir
    with pytest.raises(SystemExit, match="init_adapter must not be adapter_dir"):
        _script_main()(["--config", str(path)])
