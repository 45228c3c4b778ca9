"""The CLI labels a job's numbers: last epoch and restored best epoch, stopped early at N of
M, and regression units (fake service, as in test_cli_output)."""

from __future__ import annotations

from typing import Any

import httpx
from cli.test_cli_output import JOB_ID, MODEL_ID, cli, epochs, fake, follow_service, job, page

__all__ = ["fake"]  # the fixture, used by name

BEST = {
    "epoch": 12, "epochs_run": 22, "epochs_planned": 60, "stopped_early": True,
    "restored_best_epoch": 12, "loss": 0.0065, "val_loss": 0.0936, "accuracy": 0.99,
    "last_epoch": {"epoch": 22, "loss": 0.0033, "val_loss": 0.1187, "accuracy": 1.0},
}  # fmt: skip
REGRESSION = {
    "epoch": 30, "epochs_run": 30, "epochs_planned": 30, "stopped_early": False,
    "restored_best_epoch": None, "loss": 0.25, "val_loss": 0.5, "mae": 3.5, "r2": 0.7,
    "last_epoch": {"epoch": 30, "loss": 0.25, "val_loss": 0.5, "mae": 3.5, "r2": 0.7},
    "units": {"loss": "standardised target", "mae": "the target's own units"},
}  # fmt: skip


def test_follow_says_stopped_early_and_names_the_restored_best_epoch(fake):
    final = job(metrics=BEST)
    fake(follow_service([*epochs(22), ("end", {"status": "succeeded", "metrics": BEST})], final))
    result = cli("jobs", "follow", JOB_ID)
    assert "22/22" in result.stderr and "stopped early at 22 of 60" in result.stderr
    stderr = " ".join(result.stderr.split())
    assert "model: best epoch 12, restored by early stopping: loss 0.0065 val 0.0936 " in stderr
    assert "(bar: epoch 22)" in stderr, stderr
    out = " ".join(result.stdout.split())
    assert "epochs 22 of 60, stopped early" in out, out
    assert "loss (best epoch 12, restored) 0.0065" in out
    assert "val_loss (best epoch 12, restored) 0.0936" in out
    assert "loss (last epoch 22) 0.0033" in out and "val_loss (last epoch 22) 0.1187" in out


def test_follow_of_a_job_that_ran_every_epoch_names_no_best_epoch(fake):
    done = {**BEST, "epoch": 60, "epochs_run": 60, "stopped_early": False,
            "restored_best_epoch": None}  # fmt: skip
    fake(follow_service([*epochs(60), ("end", {"status": "succeeded", "metrics": done})],
                        job(metrics=done, progress={"epoch": 60, "epochs": 60})))  # fmt: skip
    result = cli("jobs", "follow", JOB_ID)
    assert "60/60" in result.stderr and "stopped early" not in result.stderr
    assert "best epoch" not in result.stderr + result.stdout
    assert "loss (last epoch 60)" in " ".join(result.stdout.split())


def test_list_marks_the_restored_best_epoch_and_show_labels_regression_units(fake):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/jobs":
            return httpx.Response(200, json=page([job(metrics=BEST)]))
        return httpx.Response(
            200, json=job(metrics=REGRESSION, progress={"epoch": 30, "epochs": 30})
        )

    fake(handler)
    listed = cli("jobs", "list", COLUMNS="120").stdout
    row = next(line for line in listed.splitlines() if JOB_ID in line)
    assert row.split()[1:6] == ["succeeded", "22/60", "best", "12", "0.0065"], listed
    assert "best N: the losses are of epoch N, restored by early stopping" in listed
    shown = " ".join(cli("jobs", "show", JOB_ID).stdout.split())
    assert "loss (last epoch 30, standardised) 0.25" in shown, shown
    assert "mae (last epoch 30, target units) 3.5" in shown
    assert "r2 (last epoch 30) 0.7" in shown and "epochs 30 of 30" in shown


def test_models_show_labels_both_epochs(fake):
    model: dict[str, Any] = {
        "id": MODEL_ID, "task": "classification", "job_id": JOB_ID, "dataset_id": "d" * 36,
        "num_params": 10, "classes": ["a", "b"], "created_at": "2026-11-24T01:02:03.456Z",
        "input_schema": {"features": 2, "feature_names": ["x", "y"]}, "metrics": BEST,
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax",
                                "initializer": "glorot"}]},
        "layers": [{"index": 0, "type": "dense", "output_shape": [2], "params": 6}],
    }  # fmt: skip
    fake(lambda request: httpx.Response(200, json=model))
    shown = " ".join(cli("models", "show", MODEL_ID).stdout.split())
    assert "initializer=glorot" in shown and "epochs 22 of 60, stopped early" in shown
    assert "accuracy (best epoch 12, restored) 0.99" in shown
    assert "accuracy (last epoch 22) 1" in shown
