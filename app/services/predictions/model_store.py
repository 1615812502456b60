"""Model versions: each training run stores a new version of its kind with its data size,
time split and evaluation; the newest version of a kind is the one scoring uses."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel


def latest(kind: PredictionKind) -> PredictionModel | None:
    """The version of `kind` in use: the newest one, or None before the first training."""
    return db.session.scalars(
        sa.select(PredictionModel)
        .where(PredictionModel.kind == kind)
        .order_by(PredictionModel.version.desc())
        .limit(1)
    ).first()


def versions(kind: PredictionKind, limit: int = 10) -> list[PredictionModel]:
    """The newest `limit` versions of `kind`, newest first."""
    return list(
        db.session.scalars(
            sa.select(PredictionModel)
            .where(PredictionModel.kind == kind)
            .order_by(PredictionModel.version.desc())
            .limit(limit)
        )
    )


def save_version(
    kind: PredictionKind, mode: PredictionMode, *, actor=None, **fields
) -> PredictionModel:
    """Store a new version of `kind` (numbered after the newest) and return it; `fields`
    are PredictionModel columns (algorithm, rows, metrics, params, notice, ...)."""
    newest = db.session.scalar(
        sa.select(sa.func.max(PredictionModel.version)).where(PredictionModel.kind == kind)
    )
    model = PredictionModel(
        kind=kind,
        mode=mode,
        version=(newest or 0) + 1,
        trained_by_id=getattr(actor, "id", None),
        **fields,
    )
    db.session.add(model)
    db.session.flush()
    return model
