"""The AI features' training and scoring (app.services.predictions): every model trained
again nightly and on demand from the admin Models page, and the stored scores refreshed
hourly so new leads, deals and customers are scored between trainings. Safe to run twice:
training stores a new version, scoring overwrites the scores."""

from __future__ import annotations

import logging

from flask import url_for
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.predictions import PredictionKind
from app.services.predictions import registry

log = logging.getLogger(__name__)


@background_job
def train_models(kinds: list[str] | None = None, *, actor=None) -> dict[str, int]:
    """Train each kind (all by default) and score its records with the new version;
    returns how many records each scored. Each kind commits on its own, so one kind's
    failure does not undo the others'; the job still fails at the end, naming it."""
    if actor is not None and not actor.is_admin:
        raise permissions.PermissionDenied()
    chosen = [PredictionKind(kind) for kind in kinds] if kinds else list(PredictionKind)
    scored, failed = {}, []
    for done, kind in enumerate(chosen):
        report_progress(done, len(chosen), gettext("Training %(kind)s…", kind=kind.value))
        try:
            scored[kind.value] = registry.train_and_score(kind, actor=actor).scored
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("training %s failed", kind.value)
            failed.append(kind.value)
    if failed:
        raise RuntimeError(f"training failed for {', '.join(failed)}; the others are stored")
    finish(result_url=url_for("admin.models"), message=gettext("Models trained."))
    return scored


@background_job
def score_records(*, actor=None) -> dict[str, int]:
    """Refresh every stored score with the newest version of each model."""
    scored = {}
    for kind in PredictionKind:
        scored[kind.value] = registry.rescore(kind)
        db.session.commit()
    finish(message=", ".join(f"{kind}: {count}" for kind, count in scored.items()))
    return scored
