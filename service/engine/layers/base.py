"""Layer base class.

A layer is built once for a known per-sample input shape (without the batch dim) and then
maps ``(N, *input_shape) -> (N, *output_shape)``. :meth:`Layer.plan` is the one place that
knows a layer's shapes: it checks an input shape and answers the output shape and parameter
count without allocating anything; ``build`` runs it, then allocates (``_allocate``).
Parameters and their gradients live in ``params`` / ``grads`` dicts with matching keys;
``backward`` overwrites ``grads`` in place so optimizers may hold references to those arrays.
Non-trainable buffers (batchnorm running statistics) live in ``state``: saved with the
weights, never touched by optimizers.

``forward`` (in either mode) keeps on the layer what ``backward`` needs, so ``backward`` may
follow a ``training=False`` forward too (gradients with fixed batchnorm statistics).
Training-mode work arrays come from :meth:`Layer.buffer`: allocated once per shape and reused
by every later step (a training-mode forward output is therefore valid until that layer's
next training-mode forward). :meth:`Layer.infer` (what ``Network.predict`` runs) keeps
nothing on the layer and allocates its outputs, so a built network pins no inference arrays
and may serve predictions from several threads at once; every layer whose ``forward`` caches
overrides it.
``decay_keys`` names the parameters that weight decay / L1 / L2 apply to (weights, not
biases or normalisation scales).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..activations import Activation
from ..errors import SpecError
from ..spec import SpecReader

Shape = tuple[int, ...]


def fmt_shape(shape: Shape) -> str:
    """(64,) -> "(64,)", (8, 8, 1) -> "(8, 8, 1)" (per-sample shapes in messages)."""
    return str(tuple(int(d) for d in shape))


class Layer:
    """Base class; subclasses set ``type_name`` and implement the hooks below."""

    type_name: ClassVar[str] = "layer"
    #: spec keys accepted besides "type"
    spec_keys: ClassVar[tuple[str, ...]] = ()
    #: spec keys holding a width (units, filters, ...) that server limits cap
    width_keys: ClassVar[tuple[str, ...]] = ()
    #: True when the output is the input masked or rearranged (dropout, flatten), so the
    #: activation applied before this layer is still the network's last one
    keeps_activation: ClassVar[bool] = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.input_shape: Shape = ()
        self.output_shape: Shape = ()
        self.dtype: np.dtype = np.dtype(np.float32)
        self.rng: np.random.Generator | None = None
        self._buffers: dict[str, np.ndarray] = {}

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], index: int | None = None) -> Layer:
        """Validate a JSON spec and return an unbuilt layer (raises ``SpecError``)."""
        reader = SpecReader(spec, index, cls.type_name)
        reader.check_keys(cls.spec_keys)
        return cls._from_reader(reader)

    @classmethod
    def _from_reader(cls, reader: SpecReader) -> Layer:
        return cls()

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(output shape, trainable parameter count) for a per-sample ``input_shape``,
        allocating nothing; raises ``SpecError`` (layer index, the shape it got, what it
        needs) when the input does not fit. Default: same shape, no parameters."""
        return tuple(input_shape), 0

    def build(
        self, input_shape: Shape, rng: np.random.Generator, dtype, index: int | None = None
    ) -> Shape:
        """Check ``input_shape`` with :meth:`plan`, then allocate parameters for it;
        returns the output shape."""
        self.input_shape = tuple(input_shape)
        self.output_shape, num_params = self.plan(self.input_shape, index)
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self._allocate(rng)
        assert self.num_params == num_params, f"{self.type_name}: plan and build disagree"
        return self.output_shape

    def _allocate(self, rng: np.random.Generator) -> None:
        """Create ``params`` / ``grads`` / ``state`` for ``self.input_shape`` (already
        checked by :meth:`plan`); default: nothing to allocate."""

    @property
    def widths(self) -> dict[str, int]:
        """The capped widths of this layer by spec key, e.g. {"units": 64}."""
        return {key: getattr(self, key) for key in self.width_keys}

    @property
    def token_vocab(self) -> int | None:
        """For a layer reading integer token ids (embedding): ids must lie in [0, this).
        Such a layer must come first. ``None`` for every other layer."""
        return None

    def _error(self, message: str, index: int | None) -> SpecError:
        return SpecError(message, index, self.type_name)

    def _expect_rank(self, input_shape: Shape, names: str, index: int | None) -> None:
        """Raise ``SpecError`` unless the per-sample input has ``len(names.split(", "))`` dims,
        e.g. names="timesteps, features": "expects input (timesteps, features), got (64,)"."""
        if len(input_shape) != len(names.split(", ")):
            raise self._error(f"expects input ({names}), got {fmt_shape(input_shape)}", index)

    @property
    def decay_keys(self) -> tuple[str, ...]:
        """Parameters subject to weight decay: all but biases by default."""
        return tuple(k for k in self.params if k != "b" and not k.startswith("b_"))

    def config(self) -> dict[str, Any]:
        """Normalised JSON spec that rebuilds this layer."""
        return {"type": self.type_name}

    def buffer(self, name: str, shape: tuple[int, ...], dtype=None) -> np.ndarray:
        """A reusable uninitialised work array ``name`` of ``shape`` (reallocated only when
        the shape or dtype changes); for training-mode passes, which run one at a time."""
        buf = self._buffers.get(name)
        dt = self.dtype if dtype is None else dtype
        if buf is None or buf.shape != shape or buf.dtype != dt:
            buf = self._buffers[name] = np.empty(shape, dtype=dt)
        return buf

    def column_sums(self, g: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Sums over the rows of ``g`` (rows, cols) into ``out`` (cols,): one BLAS product
        with a cached vector of ones (NumPy's axis-0 sum of a narrow matrix is many times
        slower, 20x for a (43264, 16) conv gradient)."""
        if g.dtype != out.dtype:
            return np.sum(g, axis=0, out=out)
        ones = self._buffers.get("ones")
        if ones is None or ones.shape[0] != g.shape[0] or ones.dtype != g.dtype:
            ones = self._buffers["ones"] = np.ones(g.shape[0], dtype=g.dtype)
        return np.dot(ones, g, out=out)

    # ---- computation --------------------------------------------------------------------
    @property
    def activation_name(self) -> str | None:
        """Name of the activation this layer applies last, if any (used for loss fusion)."""
        return None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Inference output for x, storing nothing on the layer: (N, *input_shape) ->
        (N, *output_shape), a fresh array (or a view of x). Default: forward(x, False), for
        layers whose forward stores nothing."""
        return self.forward(x, training=False)

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        """Given dL/d(output) (or dL/d(pre-activation) if ``skip_activation``), fill
        ``grads`` and return dL/d(input) (``None`` allowed if not ``need_input_grad``)."""
        raise NotImplementedError

    @property
    def num_params(self) -> int:
        """Trainable parameter count."""
        return int(sum(p.size for p in self.params.values()))


class ParameterFreeLayer(Layer):
    """A layer without parameters (dropout, flatten, pooling, activation): its backward
    only maps the gradient back to the input, so there is nothing to do when no input
    gradient is needed."""

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        return self._input_grad(grad, skip_activation) if need_input_grad else None

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        """dL/d(input) from ``grad`` (see :meth:`Layer.backward`)."""
        raise NotImplementedError


def activate(act: Activation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Apply ``act`` (in place over ``z`` unless its backward needs ``z``); returns
    ``(a, z_kept)`` where ``z_kept`` is what to pass back to ``act.backward``."""
    if act.uses_input:
        return act.forward(z), z
    return act.forward(z, out=z), None
