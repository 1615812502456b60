"""What the reports keep beyond the records they count: monthly sales costs (for the cost of
acquiring a customer), stored forecasts (fitted by a job, read by the pages), scheduled
report emails, custom reports saved from the builder, and each user's dashboard panels."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import (
    JSONType,
    RecordMixin,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    money_column,
    utcnow,
)


class SalesCost(TimestampMixin, db.Model):
    """What selling cost in one month (salaries, commissions, travel, tools), entered by a
    manager: with campaign costs, the numerator of customer acquisition cost."""

    __tablename__ = "sales_costs"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("month", "currency", name="uq_sales_costs_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month
    amount: Mapped[Decimal] = money_column()
    currency: Mapped[str] = mapped_column(sa.String(3))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount} {self.currency}"


class ForecastGrain(enum.Enum):
    MONTH = "MONTH"
    WEEK = "WEEK"


class ForecastRun(db.Model):
    """The latest fitted forecast of one bookings series ("company", "team:3",
    "line:Hardware") at one grain: the history it was fitted on, the model the backtest
    chose and every candidate's errors, the forecast with 80 % and 95 % intervals, and the
    drivers. A job replaces it; pages only read it."""

    __tablename__ = "forecast_runs"
    __table_args__ = (
        sa.UniqueConstraint("series_key", "grain", "currency", name="uq_forecast_runs_series"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_key: Mapped[str] = mapped_column(sa.String(120))
    label: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    grain: Mapped[ForecastGrain] = mapped_column(enum_column(ForecastGrain))
    currency: Mapped[str] = mapped_column(sa.String(3))
    # ok: fitted; short: too little history to fit (the pipeline alone stands in).
    status: Mapped[str] = mapped_column(sa.String(20), default="ok", server_default="ok")
    message: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    model: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    history: Mapped[list] = mapped_column(JSONType, default=list)
    forecast: Mapped[list] = mapped_column(JSONType, default=list)
    backtest: Mapped[dict] = mapped_column(JSONType, default=dict)
    drivers: Mapped[dict] = mapped_column(JSONType, default=dict)
    seconds: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    generated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )


class ScheduleFrequency(enum.Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class ReportSchedule(TimestampMixin, db.Model):
    """A report emailed to its owner as a PDF every day, week or month, at an hour of the
    owner's day; the cron sweep sends those whose next_run_at has come."""

    __tablename__ = "report_schedules"
    __audited__ = True
    __table_args__ = (sa.Index("ix_report_schedules_due", "is_active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # A standard report's key, or "custom:<id>" for a saved custom report.
    report_key: Mapped[str] = mapped_column(sa.String(80))
    filters: Mapped[dict] = mapped_column(JSONType, default=dict)
    frequency: Mapped[ScheduleFrequency] = mapped_column(enum_column(ScheduleFrequency))
    weekday: Mapped[int] = mapped_column(default=0, server_default="0")  # Monday = 0
    day_of_month: Mapped[int] = mapped_column(default=1, server_default="1")  # 1-28
    hour: Mapped[int] = mapped_column(default=7, server_default="7")  # in the user's zone
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class SavedReport(RecordMixin, db.Model):
    """A report made in the builder: an entity, columns, filters, a grouping and an
    aggregate (app.services.report_builder checks and runs it). Private to its owner, or
    shared with a team."""

    __tablename__ = "saved_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    entity: Mapped[str] = mapped_column(sa.String(40))
    definition: Mapped[dict] = mapped_column(JSONType, default=dict)
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )

    def __str__(self) -> str:
        return self.name


class DashboardLayout(db.Model):
    """The panels one user chose for their home dashboard, in order (none: the defaults
    of their role)."""

    __tablename__ = "dashboard_layouts"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    panels: Mapped[list] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )
