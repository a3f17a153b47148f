"""Extraction: the ``Extractor`` (``extract``), JSON-Schema-constrained decoding (``constrained``), the span rule
(``spans``), the end-of-object scanner (``jsonscan``), the ONNX Runtime GenAI engine (``onnx_engine``) and the
answer scorers the key check uses (``scoring``)."""
