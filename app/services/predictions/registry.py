"""Every prediction kind and the module that trains, scores and evaluates it. Each module
offers the same three functions:

- ``train(*, actor=None, now=None) -> PredictionModel``: learn from the history before
  `now` (a time split: train on the older records, test on the newest 20 %), store a new
  version with its figures; with too little history store a RULES version whose `notice`
  says why.
- ``score_all(*, now=None) -> int``: write the stored scores with the newest version
  (0 for a kind computed when a page asks, such as recommendations).
- ``evaluate_planted(*, seed=7, size=1.0) -> dict``: write a synthetic history with a
  planted ground truth into the (empty, scratch) database, train on its past, score its
  future and return the printed figures (the `flask rapport ai-eval` harness).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from app.models.predictions import PredictionKind, PredictionModel
from app.services.predictions import model_store

MODULES = {
    PredictionKind.LEAD_SCORE: "app.services.predictions.lead_scoring",
    PredictionKind.WIN: "app.services.predictions.win_probability",
    PredictionKind.CHURN: "app.services.predictions.churn",
    PredictionKind.RECOMMEND: "app.services.predictions.recommendations",
    PredictionKind.NEXT_ACTION: "app.services.predictions.next_action",
    PredictionKind.KB: "app.services.predictions.kb_retrieval",
}


def module(kind: PredictionKind) -> ModuleType:
    return importlib.import_module(MODULES[kind])


def train_and_score(kind: PredictionKind, *, actor=None) -> PredictionModel:
    """Train a new version of `kind` and store the scores it gives (counted on it)."""
    found = module(kind)
    version = found.train(actor=actor)
    version.scored = found.score_all()
    return version


def rescore(kind: PredictionKind) -> int:
    """Store `kind`'s scores again with its newest version; how many were written."""
    count = module(kind).score_all()
    version = model_store.latest(kind)
    if version is not None and count:
        version.scored = count
    return count
