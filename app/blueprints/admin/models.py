"""The AI models for administrators: each prediction's version in use (when and on how much
data it was trained, where the time split fell, how well it did on the newest records),
earlier versions, and training on demand in a job."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import queues
from app.blueprints.admin import bp
from app.jobs import predictions as prediction_jobs
from app.models.predictions import PredictionKind
from app.services.predictions import model_store

TRAIN_TIMEOUT = 1800
KIND_LABELS = {
    PredictionKind.LEAD_SCORE: _l("Lead scoring"),
    PredictionKind.WIN: _l("Win probability"),
    PredictionKind.CHURN: _l("Churn risk"),
    PredictionKind.RECOMMEND: _l("Product recommendations"),
    PredictionKind.NEXT_ACTION: _l("Next best action"),
    PredictionKind.KB: _l("Knowledge-base suggestions"),
}
# Figures the page names; any other figure a model stores is shown under its own key.
METRIC_LABELS = {
    "auc": _l("AUC (test period)"),
    "brier": _l("Brier score"),
    "ece": _l("Calibration error (ECE)"),
    "precision_at_5": _l("Precision@5"),
    "popularity_precision_at_5": _l("Precision@5 of the popularity baseline"),
    "ratio": _l("Precision@5 against popularity"),
    "hit_rate_at_5": _l("Customers with a hit in their top 5"),
    "customers_evaluated": _l("Customers evaluated"),
    "auc_recent_buyers": _l("AUC among customers who ordered in the last 90 days"),
    "horizon_days": _l("Days ahead a churn is looked for"),
    "closed_deals": _l("Closed deals"),
    "followed_win_rate": _l("Win rate when the suggestion was followed"),
    "not_followed_win_rate": _l("Win rate otherwise"),
    "articles": _l("Articles indexed"),
    "public_articles": _l("Public articles"),
    "terms": _l("Terms"),
    "tickets_indexed": _l("Tickets indexed"),
    "closed": _l("Closed"),
    "won": _l("Won"),
}
# Figures kept beside a model's own: the baseline it is compared with, and counts.
GROUP_LABELS = {
    "rules": _l("Baseline: the rules"),
    "stage_default": _l("Baseline: the stage defaults"),
    "deals": _l("Deals"),
}
HIDDEN = {"n", "positives", "calibration"}


@bp.get("/models")
def models():
    kinds = [
        (kind, KIND_LABELS[kind], model_store.versions(kind, limit=6)) for kind in PredictionKind
    ]
    return render_template("admin/models.html", kinds=kinds, metric_labels=METRIC_LABELS)


@bp.post("/models/train")
def models_train():
    """Train every model now in a job; answer with its progress bar."""
    job = queues.enqueue(
        prediction_jobs.train_models,
        actor=current_user,
        title=_("Training the AI models"),
        queue_name="reports",
        job_timeout=TRAIN_TIMEOUT,
    )
    return render_template("jobs/_progress.html", job=job)
