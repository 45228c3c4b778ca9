"""Serving trained models: load and cache them, predict with them, export them (ONNX, and
the .npz archive of GET /v1/models/{id}/weights)."""
