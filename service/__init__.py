"""Backprop Service: training-as-a-service with a NumPy backpropagation engine."""

__version__ = "0.1.0"
