"""A regularised logistic regression whose parameters are plain numbers: trained with
scikit-learn, stored as JSON, applied with numpy. Each prediction explains itself: a
feature's contribution is its coefficient times its standardised value, and the
contributions add up to the logit, so the factors shown are exactly what moved the figure.

Pure computation: imports nothing of Flask or the database.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

# Below this many examples of the rarer class a fitted model is noise: rules stand in.
MIN_CLASS_EXAMPLES = 40


@dataclasses.dataclass(frozen=True)
class Contribution:
    """One feature's push on one prediction, in logit units (positive raises it)."""

    feature: str
    value: float
    weight: float


@dataclasses.dataclass
class LogisticModel:
    """Standardisation, coefficients and intercept of a fitted logistic regression."""

    features: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return self._standardised(rows) @ np.asarray(self.coefficients) + self.intercept

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The probability of the positive class for each row of `rows`."""
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    def explain(self, row: Sequence[float]) -> list[Contribution]:
        """Every feature's contribution to `row`'s prediction, largest push first."""
        z = self._standardised(np.asarray([row], dtype=float))[0]
        parts = [
            Contribution(name, float(row[i]), float(z[i] * self.coefficients[i]))
            for i, name in enumerate(self.features)
        ]
        return sorted(parts, key=lambda part: -abs(part.weight))

    def _standardised(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=float)
        return (rows - np.asarray(self.means)) / np.asarray(self.scales)

    def to_params(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_params(cls, params: dict) -> LogisticModel:
        return cls(
            features=list(params["features"]),
            means=[float(v) for v in params["means"]],
            scales=[float(v) for v in params["scales"]],
            coefficients=[float(v) for v in params["coefficients"]],
            intercept=float(params["intercept"]),
        )


def enough_history(labels: Sequence[int]) -> bool:
    """Whether `labels` hold enough of both outcomes to learn from."""
    positives = int(sum(labels))
    return min(positives, len(labels) - positives) >= MIN_CLASS_EXAMPLES


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[int], features: Sequence[str], *, c=0.5
) -> LogisticModel:
    """Fit an L2-regularised logistic regression on standardised features (a constant
    feature gets scale 1 so it contributes nothing)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=int)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    fitted = LogisticRegression(C=c, max_iter=1000).fit((x - means) / scales, y)
    return LogisticModel(
        features=list(features),
        means=[float(v) for v in means],
        scales=[float(v) for v in scales],
        coefficients=[float(v) for v in fitted.coef_[0]],
        intercept=float(fitted.intercept_[0]),
    )


def time_split(times: Sequence, test_share: float = 0.2) -> tuple[list[int], list[int], object]:
    """Indices of the older records (train) and the newest `test_share` (test), split by
    `times`, and the first time of the test period: a model never learns from a record
    newer than one it is tested on."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    cut = max(1, min(len(order) - 1, int(round(len(order) * (1 - test_share)))))
    return order[:cut], order[cut:], times[order[cut]]


def evaluate(labels: Sequence[int], probabilities: Sequence[float], bins: int = 10) -> dict:
    """AUC, Brier score, expected calibration error and a reliability table (per bin of
    predicted probability: how many, the mean prediction, the observed rate)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(labels, dtype=int)
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    result = {"n": len(y), "positives": int(y.sum())}
    result["auc"] = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    result["brier"] = float(brier_score_loss(y, p)) if len(y) else None
    table = []
    error = 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        predicted, observed = float(p[mask].mean()), float(y[mask].mean())
        table.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": int(mask.sum()),
                "predicted": predicted,
                "observed": observed,
            }
        )
        error += mask.sum() / len(y) * abs(predicted - observed)
    result["ece"] = float(error) if len(y) else None
    result["calibration"] = table
    return result


def sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))
