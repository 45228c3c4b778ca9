"""Serving trained models: load and cache them, predict with them, export them (ONNX)."""
