"""``python -m maaza.harness``: an alias of ``edgejson-eval`` (``maaza.evaluation.harness``), where it lived before
0.6."""

from maaza.evaluation.harness import main

if __name__ == "__main__":
    main()
