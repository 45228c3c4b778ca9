"""Export of trained models to ONNX (``onnx`` is imported only by the submodules).

graph.py: the node/constant builder; activations.py, layers.py, recurrent.py: the
converters; model.py: the whole model with input scaling, outputs and metadata;
source.py: what an export reads from a model row."""

FORMATS = ("onnx",)
"""Export formats GET /v1/models/{id}/export offers."""
