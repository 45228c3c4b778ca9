"""Serving trained models: predictions and portable exports (ONNX)."""
