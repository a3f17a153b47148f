"""Evaluation: the EdgeJSON harness, ``edgejson-eval`` (``harness``), the results files it writes and everything that
reads them (``results``), and the learning curve of a run's checkpoints (``curve``)."""
