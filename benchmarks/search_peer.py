"""H2O-3's side of search_bench.py's peer comparison: a grid search of H2ODeepLearning.

H2O gets the same training rows, the same grid of learning rate x hidden width and the same
number of epochs as our search; the cluster start and the frame upload are not timed (our
server start and upload are not either). Its settings: per-row SGD (H2O's only training
mode, `mini_batch_size` 1) with `adaptive_rate` off so that `rate` is the learning rate the
grid searches, no early stopping (our trials have none), `nthreads` 2 on this 2-core machine.
Its models are built one at a time: with the grid's `parallelism` 2 (H2O 3.46) four of the
nine failed while scoring (ArrayIndexOutOfBoundsException in Frame.lastVec).
"""

from __future__ import annotations

import time

import numpy as np


def h2o_grid(
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int,
    rates: list[float],
    widths: list[int],
    reps: int = 1,
) -> list[tuple[float, dict[str, float], list[int], float]]:
    """H2O's grid over `rates` x `widths`, validated on 20 % of (X, y), `reps` times in one
    cluster: per run (seconds to the best model, its test accuracy and log loss, its hidden
    layers, its rate)."""
    import h2o
    from h2o.estimators import H2ODeepLearningEstimator
    from h2o.grid import H2OGridSearch

    h2o.init(nthreads=2, max_mem_size="2G", verbose=False)
    h2o.no_progress()
    try:
        cols = [f"x{i}" for i in range(X.shape[1])]

        def frame(X_: np.ndarray, y_: np.ndarray):  # noqa: ANN202 (an H2OFrame)
            f = h2o.H2OFrame(np.column_stack([X_, y_]).tolist(), column_names=[*cols, "y"])
            f["y"] = f["y"].asfactor()
            return f

        full, test = frame(X, y), frame(X_test, y_test)
        train, valid = full.split_frame(ratios=[0.8], seed=1)
        runs = []
        for _ in range(reps):
            started = time.perf_counter()
            grid = H2OGridSearch(
                H2ODeepLearningEstimator(
                    epochs=epochs,
                    activation="Rectifier",
                    adaptive_rate=False,
                    seed=1,
                    mini_batch_size=1,
                    stopping_rounds=0,
                ),
                hyper_params={"rate": rates, "hidden": [[w] for w in widths]},
            )
            grid.train(x=cols, y="y", training_frame=train, validation_frame=valid)
            best = grid.get_grid(sort_by="logloss", decreasing=False).models[0]
            seconds = time.perf_counter() - started
            perf = best.model_performance(test)
            predicted = best.predict(test)["predict"].as_data_frame(use_pandas=False)[1:]
            accuracy = float(np.mean(np.array([int(r[0]) for r in predicted]) == y_test))
            metrics = {"accuracy": accuracy, "log_loss": float(perf.logloss())}
            runs.append(
                (seconds, metrics, best.actual_params["hidden"], best.actual_params["rate"])
            )
        return runs
    finally:
        h2o.cluster().shutdown()
