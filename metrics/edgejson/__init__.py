"""The EdgeJSON metric (``edgejson.py``), installed with maaza as ``maaza.metric`` (pyproject.toml).

This file makes the folder a regular package: setuptools' editable install finds a package mapped to another folder
only when it is one, so without it ``edgejson-eval`` found no metric outside the clone. The Hub Space leaves it out.
"""
