"""Optuna on a study rebuilt from trial records: seeded reproducibility and pruning."""

from __future__ import annotations

from service.search.space import parse_space
from service.search.strategy import TrialRecord, ask, judge, judges_at

BODY = {
    "network": {"layers": [{"type": "dense", "units": 8}]},
    "training": {"optimizer": {"type": "adam", "learning_rate": 0.001}, "seed": 0},
}
SPACE = {
    "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
    "network.layers[0].units": {"choice": [16, 64, 128]},
}
RANGES = parse_space(SPACE, BODY)


def run(kind: str, seed: int, n: int, finish_order: list[int] | None = None) -> list[dict]:
    """Ask n trials one after another; earlier trials end in `finish_order` (all running
    when None) with the value of their learning rate's distance to 0.01."""
    trials: list[TrialRecord] = []
    strategy = {"type": kind, "max_trials": n, "seed": seed}
    for number in range(n):
        internal = ask(strategy, "minimize", RANGES, trials)
        trials.append(TrialRecord(number, "running", internal))
        done = set(finish_order[: number + 1]) if finish_order is not None else set()
        for t in trials:
            if t.number in done:
                t.status = "succeeded"
                t.value = abs(t.internal["training.optimizer.learning_rate"] - 0.01)
    return [t.internal for t in trials]


def test_random_search_is_the_same_for_the_same_seed_whatever_the_end_order():
    first = run("random", 7, 8)
    assert run("random", 7, 8, finish_order=[3, 1, 0, 2, 5, 4, 7, 6]) == first
    assert run("random", 8, 8) != first
    rates = [p["training.optimizer.learning_rate"] for p in first]
    assert all(1e-4 <= r <= 3e-2 for r in rates) and len(set(rates)) == 8


def test_grid_search_visits_every_point_once_in_a_seeded_order():
    ranges = parse_space({"network.layers[0].units": SPACE["network.layers[0].units"]}, BODY)
    trials: list[TrialRecord] = []
    for number in range(3):
        internal = ask({"type": "grid", "max_trials": 3, "seed": 1}, "minimize", ranges, trials)
        trials.append(TrialRecord(number, "succeeded", internal, value=1.0))
    points = [t.internal["network.layers[0].units"] for t in trials]
    assert sorted(points) == [0, 1, 2]


def test_tpe_is_reproducible_when_trials_run_one_at_a_time():
    order = list(range(14))
    first = run("tpe", 3, 14, finish_order=order)
    assert run("tpe", 3, 14, finish_order=order) == first
    # after its random start-up trials TPE gets close to the best learning rate
    late = [abs(p["training.optimizer.learning_rate"] - 0.01) for p in first[-4:]]
    early = [abs(p["training.optimizer.learning_rate"] - 0.01) for p in first[:4]]
    assert min(late) < min(early), (early, late)


def curve(start: float) -> dict[int, float]:
    return {epoch: start / epoch for epoch in range(1, 10)}


def test_asha_prunes_at_its_rungs_and_keeps_the_best_third():
    pruning = {"type": "asha", "min_epochs": 1, "reduction_factor": 3}
    done: list[TrialRecord] = []
    outcomes = []
    for number, start in enumerate([1.0, 2.0, 0.5, 3.0, 0.2, 4.0]):
        trial = TrialRecord(
            number, "running", {"network.layers[0].units": 0}, intermediate=curve(start)
        )
        trial.internal["training.optimizer.learning_rate"] = 0.001
        pruned_at, rungs = judge(pruning, "minimize", RANGES, done, trial, 0)
        outcomes.append(pruned_at)
        trial.rungs, trial.status = rungs, "pruned" if pruned_at else "succeeded"
        trial.value = trial.intermediate[max(trial.intermediate)]
        done.append(trial)
    # the 1st trial is alone at each rung; better ones go on, worse ones stop at a rung epoch
    assert outcomes[0] is None and outcomes[2] is None and outcomes[4] is None
    assert outcomes[1] == 1 and outcomes[3] == 1 and outcomes[5] == 1


def test_median_prunes_a_trial_worse_than_the_median_after_its_warmup():
    pruning = {"type": "median", "min_epochs": 3, "startup_trials": 2}
    done = [
        TrialRecord(
            n,
            "succeeded",
            {"network.layers[0].units": 0, "training.optimizer.learning_rate": 0.001},
            value=v,
            intermediate=curve(v),
        )
        for n, v in enumerate([1.0, 1.2, 0.9])
    ]
    bad = TrialRecord(3, "running", dict(done[0].internal), intermediate=curve(5.0))
    assert judge(pruning, "minimize", RANGES, done, bad, 0)[0] == 3
    good = TrialRecord(3, "running", dict(done[0].internal), intermediate=curve(0.5))
    assert judge(pruning, "minimize", RANGES, done, good, 0)[0] is None
    # epochs already judged are not judged again
    assert judge(pruning, "minimize", RANGES, done, bad, 9)[0] is None


def test_the_pruner_judges_at_its_rungs_or_after_its_warmup():
    asha = {"type": "asha", "min_epochs": 2, "reduction_factor": 3}
    assert [e for e in range(1, 60) if judges_at(asha, e)] == [2, 6, 18, 54]
    median = {"type": "median", "min_epochs": 3}
    assert [e for e in range(1, 6) if judges_at(median, e)] == [3, 4, 5]
    assert not any(judges_at(None, e) for e in range(1, 10))
