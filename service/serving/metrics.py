"""Evaluation metrics accumulated a chunk of rows at a time, in bounded memory (NumPy only).

Classification: accuracy, log loss, per-class precision/recall/F1/support, the confusion
matrix (rows: true labels, columns: predicted) and ROC AUC (binary: of the second class's
score; more classes: the macro mean of one-vs-rest AUCs over the classes present with
both outcomes). Regression: MAE, RMSE and R^2.

ROC AUC and the ROC curve come from per-class histograms of the scores' log-odds
(AUC_BINS bins over [-LOGIT_RANGE, LOGIT_RANGE]): pairs of rows within one bin count as
ties, so the AUC is that of scores rounded to 1/200 of a unit of log-odds (within about
1e-3 of the exact value) while memory stays C x AUC_BINS counts however many rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Array = np.ndarray
AUC_BINS = 8192
LOGIT_RANGE = 20.0
CURVE_POINTS = 60
"""Most points kept of each ROC curve (the corners always)."""
LOG_LOSS_EPS = 1e-15


def class_probabilities(out: Array) -> Array:
    """Network outputs (n, C) softmax or (n, 1) sigmoid -> (n, C >= 2) float64 probabilities."""
    out = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    if out.shape[1] == 1:
        return np.concatenate([1.0 - out, out], axis=1)
    return out


def _score_bins(scores: Array) -> Array:
    """(n, C) probabilities -> (n, C) bin indices of their log-odds (monotone in score)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(scores) - np.log1p(-scores)
    logit = np.nan_to_num(logit, nan=0.0, posinf=LOGIT_RANGE, neginf=-LOGIT_RANGE)
    scaled = (np.clip(logit, -LOGIT_RANGE, LOGIT_RANGE) + LOGIT_RANGE) / (2 * LOGIT_RANGE)
    return np.minimum((scaled * AUC_BINS).astype(np.int64), AUC_BINS - 1)


def auc_from_histograms(pos: Array, neg: Array) -> float | None:
    """Area under the ROC curve from counts of positives and negatives per score bin
    (ascending); pairs in one bin count one half. None without both outcomes."""
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if n_pos == 0 or n_neg == 0:
        return None
    below = np.cumsum(neg) - neg
    wins = np.dot(pos.astype(np.float64), below + 0.5 * neg)
    return float(wins / (float(n_pos) * n_neg))


def roc_curve_from_histograms(pos: Array, neg: Array) -> dict[str, list[float]] | None:
    """{"fpr": [...], "tpr": [...]} from (0, 0) to (1, 1), at most CURVE_POINTS points,
    thresholds from the highest score bin down. None without both outcomes."""
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return None
    used = np.flatnonzero((pos + neg)[::-1])
    tpr = np.concatenate([[0.0], np.cumsum(pos[::-1])[used] / n_pos])
    fpr = np.concatenate([[0.0], np.cumsum(neg[::-1])[used] / n_neg])
    if len(tpr) > CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(tpr) - 1, CURVE_POINTS).round().astype(int))
        tpr, fpr = tpr[keep], fpr[keep]
    return {"fpr": np.round(fpr, 4).tolist(), "tpr": np.round(tpr, 4).tolist()}


class ClassificationScores:
    """Confusion counts, the log-loss sum and score histograms over C classes."""

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self.confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
        self.log_loss_sum = 0.0
        self.pos = np.zeros((n_classes, AUC_BINS), dtype=np.int64)
        self.neg = np.zeros((n_classes, AUC_BINS), dtype=np.int64)

    @property
    def rows(self) -> int:
        return int(self.confusion.sum())

    def update(self, probs: Array, y: Array) -> None:
        """Add rows: probs (n, C) class probabilities, y (n,) true class indices."""
        probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.int64)
        C = self.n_classes
        pred = probs.argmax(axis=1)
        self.confusion += np.bincount(y * C + pred, minlength=C * C).reshape(C, C)
        picked = probs[np.arange(len(y)), y]
        self.log_loss_sum -= float(np.log(np.clip(picked, LOG_LOSS_EPS, 1.0)).sum())
        bins = _score_bins(probs)
        for k in range(C):
            is_k = y == k
            self.pos[k] += np.bincount(bins[is_k, k], minlength=AUC_BINS)
            self.neg[k] += np.bincount(bins[~is_k, k], minlength=AUC_BINS)

    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(self.rows, 1))

    def result(self, labels: list[Any]) -> dict[str, Any]:
        """The metrics, classes named by `labels` (C of them, in class-index order)."""
        cm = self.confusion
        tp = np.diag(cm).astype(np.float64)
        support, predicted = cm.sum(axis=1), cm.sum(axis=0)
        precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
        recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
        both = precision + recall
        f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
        per_class = {
            str(label): {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, label in enumerate(labels)
        }
        return {
            "accuracy": self.accuracy(),
            "log_loss": self.log_loss_sum / max(self.rows, 1),
            "roc_auc": self.roc_auc(),
            "per_class": per_class,
            "confusion_matrix": {"labels": list(labels), "matrix": cm.tolist()},
            "roc_curve": self.roc_curves(labels),
        }

    def roc_auc(self) -> float | None:
        """Binary: AUC of the second class's score; else the macro one-vs-rest mean over the
        classes that have both positive and negative rows (None if there are none)."""
        if self.n_classes == 2:
            return auc_from_histograms(self.pos[1], self.neg[1])
        aucs = [auc_from_histograms(self.pos[k], self.neg[k]) for k in range(self.n_classes)]
        present = [a for a in aucs if a is not None]
        return float(np.mean(present)) if present else None

    def roc_curves(self, labels: list[Any]) -> dict[str, Any]:
        """{"positive": label, "fpr", "tpr"} for two classes; {"curves": {label: {fpr,
        tpr}}} one-vs-rest for more."""
        if self.n_classes == 2:
            curve = roc_curve_from_histograms(self.pos[1], self.neg[1])
            return {"positive": labels[1], **(curve or {"fpr": [], "tpr": []})}
        curves = {}
        for k, label in enumerate(labels):
            curve = roc_curve_from_histograms(self.pos[k], self.neg[k])
            if curve is not None:
                curves[str(label)] = curve
        return {"curves": curves}


class RegressionScores:
    """Absolute and squared error sums and the targets' running mean and spread (Chan's
    parallel update, float64), for MAE, RMSE and R^2 in the targets' own units."""

    def __init__(self) -> None:
        self.rows = 0
        self.sum_abs = 0.0
        self.sse = 0.0
        self.mean = 0.0
        self.m2 = 0.0

    def update(self, predicted: Array, y: Array) -> None:
        """Add rows: predicted and y (n,) values."""
        p = np.asarray(predicted, dtype=np.float64).ravel()
        t = np.asarray(y, dtype=np.float64).ravel()
        n = len(t)
        if n == 0:
            return
        d = p - t
        self.sum_abs += float(np.abs(d).sum())
        self.sse += float(np.dot(d, d))
        mean_b = float(t.mean())
        m2_b = float(np.dot(t - mean_b, t - mean_b))
        total = self.rows + n
        delta = mean_b - self.mean
        self.m2 += m2_b + delta * delta * self.rows * n / total
        self.mean += delta * n / total
        self.rows = total

    def r2(self) -> float:
        if self.m2 > 0:
            return 1.0 - self.sse / self.m2
        return 1.0 if self.sse == 0 else 0.0

    def result(self) -> dict[str, float]:
        n = max(self.rows, 1)
        return {"mae": self.sum_abs / n, "rmse": math.sqrt(self.sse / n), "r2": self.r2()}
