"""Extraction: the ``Extractor`` (``extract``), its ``Decoding`` record (``decoding``), the stop rule and a request's
``Generation`` (``generation``), the torch and onnx engines (``engines``), JSON-Schema-constrained decoding
(``constrained``), the span rule (``spans``), the end-of-object scanner (``jsonscan``) and the ONNX Runtime GenAI
model (``onnx_engine``)."""
