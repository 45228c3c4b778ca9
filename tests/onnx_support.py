"""Model rows with random weights, built without training, and an onnxruntime runner."""

from __future__ import annotations

from typing import Any

import numpy as np

from service.db.blobs import arrays_to_npz
from service.db.models import TrainedModel, new_id
from service.engine import build_network


def random_row(
    layers: list[dict[str, Any]],
    input_shape: tuple[int, ...],
    *,
    task: str = "classification",
    classes: list[Any] | None = None,
    scaled: bool = True,
    seed: int = 0,
) -> TrainedModel:
    """An unsaved TrainedModel whose weights, batchnorm statistics, input standardizer and
    target scaler are random (so nothing is an identity by accident)."""
    rng = np.random.default_rng(seed)
    net = build_network(layers, input_shape, seed=seed)
    weights = {}
    for name, value in net.get_weights().items():
        if name.endswith("running_var"):
            weights[name] = rng.uniform(0.5, 2.0, value.shape)
        elif layers[0]["type"] == "embedding" and name == "layers.0.W":
            weights[name] = rng.normal(0, 1, value.shape)
        else:
            weights[name] = rng.normal(0, 0.6, value.shape)
    net.set_weights(weights)
    last = input_shape[-1]
    if scaled:
        standardizer = {
            "mean": rng.normal(0, 2, last).tolist(),
            "std": rng.uniform(0.5, 3, last).tolist(),
        }
    else:
        standardizer = {"mean": [0.0] * last, "std": [1.0] * last}
    preprocessing: dict[str, Any] = {"standardizer": standardizer, "scale_inputs": scaled}
    if task == "regression":
        preprocessing["target_scaler"] = {"mean": [12.5], "std": [3.25]}
    network = {"layers": layers}
    return TrainedModel(
        id=new_id(),
        tenant_id="t",
        job_id=new_id(),
        dataset_id=new_id(),
        task=task,
        network=network,
        training={"epochs": 1, "seed": seed},
        layers=net.summary(),
        num_params=net.num_params,
        metrics={},
        input_schema={
            "features": int(np.prod(input_shape)),
            "input_shape": list(input_shape),
            "feature_names": [f"f{i}" for i in range(last)] if len(input_shape) == 1 else [],
            "target": "y",
        },
        classes=classes if task == "classification" else None,
        preprocessing=preprocessing,
        weights=arrays_to_npz(net.get_weights()),
    )


def run_onnx(data: bytes, X: np.ndarray) -> dict[str, np.ndarray]:
    """Outputs of the exported model on X (float32, or int64 ids) by name."""
    import onnxruntime as ort

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"input": X}), strict=True))


def assert_agrees(predicted: dict[str, Any], out: dict[str, np.ndarray], tol: float = 1e-5) -> None:
    """The exported model's outputs match predict's answer: probabilities within ``tol``
    and the same labels; regression values within ``tol`` relative (and absolute)."""
    if "probabilities" in predicted:
        np.testing.assert_allclose(out["probabilities"], predicted["probabilities"], atol=tol)
        assert out["predictions"].tolist() == predicted["predictions"]
    else:
        assert set(out) == {"predictions"}
        np.testing.assert_allclose(out["predictions"], predicted["predictions"], rtol=tol, atol=tol)
