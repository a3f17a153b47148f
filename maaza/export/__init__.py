"""``maaza export``: ONNX Runtime GenAI builds of an adapter merged into its base (``build``), the 4-bit build on the
base's own GGUF grid (``grid``), and what each build records (``info``)."""
