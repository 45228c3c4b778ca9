"""Sequential network built from a JSON layer spec list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import SpecError
from .layers import Layer, Shape
from .plan import check_input_shape, read_layers


class Network:
    """A stack of built layers mapping (N, *input_shape) -> (N, *output_shape).

    ``rng`` is the Generator used by stochastic layers (dropout); its state is part of what
    a checkpoint must save to resume bit-identically. All trainable parameters live in one
    flat buffer whose first ``decay_size`` entries are the ones weight decay applies to.
    """

    def __init__(
        self, layers: Sequence[Layer], input_shape: Shape, rng: np.random.Generator, dtype
    ) -> None:
        self.layers: list[Layer] = list(layers)
        self.input_shape: Shape = tuple(input_shape)
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self.output_shape: Shape = self.layers[-1].output_shape if self.layers else self.input_shape
        self.decay_size = 0
        self.flat_params, self.flat_grads = self._flatten_parameters()

    def _flatten_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """Move all parameters/gradients into two contiguous 1-D buffers; each layer's
        ``params``/``grads`` entries become views into them, so an optimizer (or a global
        gradient-norm clip) can update everything with a handful of vector ops. Decayed
        parameters (``Layer.decay_keys``) come first, so weight decay is one slice."""
        decayed = [(layer, k) for layer in self.layers for k in layer.decay_keys]
        others = [
            (layer, k) for layer in self.layers for k in layer.params if k not in layer.decay_keys
        ]
        entries = decayed + others
        self.decay_size = sum(layer.params[k].size for layer, k in decayed)
        total = sum(layer.params[k].size for layer, k in entries)
        flat_p = np.empty(total, dtype=self.dtype)
        flat_g = np.zeros(total, dtype=self.dtype)
        offset = 0
        for layer, k in entries:
            p = layer.params[k]
            view = flat_p[offset : offset + p.size].reshape(p.shape)
            view[...] = p
            layer.params[k] = view
            layer.grads[k] = flat_g[offset : offset + p.size].reshape(p.shape)
            offset += p.size
        return flat_p, flat_g

    # ---- computation --------------------------------------------------------------------
    def as_input(self, x: Any) -> np.ndarray:
        """Convert to the network dtype (no copy if already) and check (N, *input_shape)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"input of shape {x.shape} does not match network input shape "
                f"(N, {', '.join(map(str, self.input_shape))})"
            )
        return x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, *input_shape) -> activated outputs (N, *output_shape).

        With ``training=True`` the result may be a layer's reused work buffer, valid until
        the next training-mode forward (what ``fit`` needs); copy it to keep it."""
        out = self.as_input(x)
        for layer in self.layers:
            out = layer.forward(out, training)
        return out

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Inference on an already converted (N, *input_shape) array: each layer's
        :meth:`Layer.infer`, no caches kept, so concurrent calls are safe."""
        for layer in self.layers:
            x = layer.infer(x)
        return x

    @property
    def output_activation(self) -> str | None:
        """Activation applied by the last layer (``None`` if it applies none)."""
        return self.layers[-1].activation_name if self.layers else None

    def backward(
        self,
        grad_out: np.ndarray,
        *,
        skip_output_activation: bool = False,
        need_input_grad: bool = True,
    ) -> np.ndarray | None:
        """Backpropagate dL/d(output) through all layers, filling each layer's ``grads``.

        With ``skip_output_activation`` the incoming gradient is w.r.t. the last layer's
        pre-activation (fused loss). Returns dL/d(input) (None if not ``need_input_grad``).
        """
        grad: np.ndarray | None = np.asarray(grad_out, dtype=self.dtype)
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            assert grad is not None
            grad = self.layers[i].backward(
                grad,
                skip_activation=skip_output_activation and i == last,
                need_input_grad=need_input_grad or i > 0,
            )
        return grad

    def predict(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Inference, (N, *input_shape) -> a new (N, *output_shape) array; inputs of more
        than ``batch_size`` rows run in chunks of ``batch_size``. Thread-safe."""
        x = self.as_input(x)
        n = x.shape[0]
        if n <= batch_size:  # the common small case: no chunk loop, no extra output copy
            out = self.infer(x)
            return out if out.flags.owndata else out.copy()
        out = np.empty((n, *self.output_shape), dtype=self.dtype)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            out[start:stop] = self.infer(x[start:stop])
        return out

    # ---- parameters ---------------------------------------------------------------------
    def flat_parameters(self) -> list[tuple[str, np.ndarray]]:
        """Single (name, 1-D array) group holding every parameter (what ``fit`` optimizes)."""
        return [("params", self.flat_params)]

    def flat_gradients(self) -> list[tuple[str, np.ndarray]]:
        """Single group matching :meth:`flat_parameters`."""
        return [("params", self.flat_grads)]

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) pairs, names like "layers.0.W"; arrays are live references."""
        return [
            (f"layers.{i}.{k}", p)
            for i, layer in enumerate(self.layers)
            for k, p in layer.params.items()
        ]

    def gradients(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) pairs matching :meth:`parameters`; live references."""
        return [
            (f"layers.{i}.{k}", g)
            for i, layer in enumerate(self.layers)
            for k, g in layer.grads.items()
        ]

    def buffers(self) -> list[tuple[str, np.ndarray]]:
        """Non-trainable state (batchnorm running statistics), names like
        "layers.1.running_mean"; live references."""
        return [
            (f"layers.{i}.{k}", b)
            for i, layer in enumerate(self.layers)
            for k, b in layer.state.items()
        ]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and non-trainable buffers keyed by name."""
        return {name: p.copy() for name, p in self.parameters() + self.buffers()}

    def set_weights(self, weights: Mapping[str, np.ndarray]) -> None:
        """Copy ``weights`` (parameters and buffers) in place; same keys and shapes required."""
        params = dict(self.parameters() + self.buffers())
        missing = sorted(set(params) - set(weights))
        extra = sorted(set(weights) - set(params))
        if missing or extra:
            raise ValueError(f"weight keys mismatch: missing {missing}, unexpected {extra}")
        for name, p in params.items():
            w = np.asarray(weights[name])
            if w.shape != p.shape:
                raise ValueError(f"weight {name} has shape {w.shape}, expected {p.shape}")
        for name, p in params.items():
            np.copyto(p, weights[name], casting="unsafe")

    @property
    def num_params(self) -> int:
        return sum(layer.num_params for layer in self.layers)

    def summary(self) -> list[dict[str, Any]]:
        """One dict per layer: index, type, output_shape (no batch dim), params (trainable
        parameter count)."""
        return [
            {
                "index": i,
                "type": layer.type_name,
                "output_shape": list(layer.output_shape),
                "params": layer.num_params,
            }
            for i, layer in enumerate(self.layers)
        ]

    def spec(self) -> list[dict[str, Any]]:
        """Normalised layer spec list that rebuilds this architecture."""
        return [layer.config() for layer in self.layers]


def build_network(
    layers: Sequence[Mapping[str, Any]],
    input_shape: Sequence[int],
    seed: int = 0,
    dtype=np.float32,
) -> Network:
    """Validate the layer spec list and build a seeded network (raises ``SpecError``).

    Reads and checks the specs as :func:`~service.engine.plan.plan_network` does (each
    layer's ``build`` runs its ``plan``), then allocates."""
    shape = first = check_input_shape(input_shape)
    specs = read_layers(layers)
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise SpecError(f"dtype must be float32 or float64, got {dtype}")
    rng = np.random.default_rng(seed)
    built: list[Layer] = []
    for i, layer in specs:
        shape = layer.build(shape, rng, dtype, i)
        built.append(layer)
    return Network(built, first, rng, dtype)
