"""Evaluation: the EdgeJSON harness, ``edgejson-eval`` (``harness``; the examples it reads: ``examples``; the sections
of its results files: ``sections``), the results files it writes and everything that reads them (``results``),
the learning curve of a run's checkpoints (``curve``) and the guards of a run's answers, counted on its split
(``guards``)."""
