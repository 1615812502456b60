"""What the AI features keep: each trained model version with its evaluation, and the
lead scoring rules an administrator tunes. The scores themselves live on the records they
describe (leads.score, opportunities.win_score, customers.churn_risk) so lists stay fast."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column, utcnow


class PredictionKind(enum.Enum):
    LEAD_SCORE = "LEAD_SCORE"
    WIN = "WIN"
    CHURN = "CHURN"
    RECOMMEND = "RECOMMEND"
    NEXT_ACTION = "NEXT_ACTION"
    KB = "KB"


class PredictionMode(enum.Enum):
    MODEL = "MODEL"  # trained on the company's own history
    RULES = "RULES"  # too little history: rules or stage defaults stand in, with a notice


class PredictionModel(db.Model):
    """One trained version of one prediction: when and on how much data it was trained,
    where the time split fell, its evaluation on the most recent records (AUC, Brier score,
    calibration, baselines), and its parameters as plain JSON (coefficients, scaling,
    neighbours) - never a pickle, so loading a model cannot run code. The newest version of
    a kind is the one in use."""

    __tablename__ = "prediction_models"
    # Each training is an audited insert (who trained what, when, on how much data); the
    # bulky figures and parameters stay out of the audit row.
    __audited__ = True
    __audit_ignore__ = frozenset({"params", "metrics"})
    __table_args__ = (
        sa.UniqueConstraint("kind", "version", name="uq_prediction_models_version"),
        sa.Index("ix_prediction_models_kind", "kind", "trained_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PredictionKind] = mapped_column(enum_column(PredictionKind))
    version: Mapped[int] = mapped_column(default=1)
    mode: Mapped[PredictionMode] = mapped_column(enum_column(PredictionMode))
    algorithm: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    trained_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    trained_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The records the version learned from and was tested on (a time split: train on the
    # older, test on the newest); `cutoff` is the first moment of the test period.
    rows: Mapped[int] = mapped_column(default=0, server_default="0")
    positives: Mapped[int] = mapped_column(default=0, server_default="0")
    train_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    test_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metrics: Mapped[dict] = mapped_column(JSONType, default=dict)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    notice: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    scored: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")


class ScoreComponent(enum.Enum):
    DEMOGRAPHIC = "DEMOGRAPHIC"
    BEHAVIOUR = "BEHAVIOUR"
    ENGAGEMENT = "ENGAGEMENT"


class LeadScoreRule(TimestampMixin, db.Model):
    """One rule of the rules-based lead score: when `factor` compares to `value` with
    `operator`, the lead gains (or loses) `points` in its component. Components are capped
    (demographic 40, behaviour 35, engagement 25) so the total stays 0-100."""

    __tablename__ = "lead_score_rules"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[ScoreComponent] = mapped_column(enum_column(ScoreComponent))
    factor: Mapped[str] = mapped_column(sa.String(40))
    operator: Mapped[str] = mapped_column(sa.String(10))
    value: Mapped[str] = mapped_column(sa.String(200))
    points: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __str__(self) -> str:
        return f"{self.factor} {self.operator} {self.value}: {self.points:+d}"
