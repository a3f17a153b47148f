"""The checks an answer goes through after decoding: the value check (``values``: what the text states), the
optional-key check (``keys``: what the model scores likelier), the dates a text writes (``dates``) and the answer
paths both use (``paths``). Imports neither torch nor ONNX Runtime."""
