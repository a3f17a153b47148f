"""Train a Maaza LoRA adapter on EdgeJSON with TRL's SFTTrainer; every difference between runs lives in a recipe.

Usage:
    python maaza_models/train.py --config maaza_models/recipes/maaza-mlm-135m-json.yaml [--max_steps 5 ...]
    accelerate launch --num_processes 4 maaza_models/train.py --config maaza_models/recipes/maaza-slm-360m-json.yaml

A killed run resumes from the last checkpoint in the recipe's output_dir when started again with the same command.
"""

from __future__ import annotations

from maaza.recipes import RecipeError, recipe_parser
from maaza.training import train


def main(argv: list[str] | None = None) -> None:
    parser = recipe_parser()
    try:  # TrlParser and SFTConfig raise ValueError for unknown keys and inconsistent settings
        script_args, training_args, model_args = parser.parse_args_and_config(argv)
    except ValueError as err:
        raise SystemExit(f"bad recipe: {err}") from None
    try:
        adapter_dir = train(script_args, training_args, model_args)
    except RecipeError as err:
        raise SystemExit(f"bad recipe: {err}") from None
    print(f"Adapter saved in {adapter_dir}")


if __name__ == "__main__":
    main()
