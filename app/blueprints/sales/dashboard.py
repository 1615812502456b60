"""The sales dashboard (lazy htmx panels: pipeline by stage, won against target, completed
activities, top deals) and the performance pages of one rep and one team (won against
target month by month, win rate, deal size, sales cycle, activities).

Whose figures: a rep sees their own, a manager their team's, an administrator everybody's
(the "opportunity" read scope decides, so a changed role grant follows)."""

from __future__ import annotations

import dataclasses
from datetime import date

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.sales import bp
from app.extensions import db
from app.models.identity import Team, User
from app.models.orders import TargetPeriod
from app.services import sales_performance as perf
from app.services import targets
from app.services.opportunities import STAGE_LABELS
from app.services.timeline import KIND_LABELS

PANELS = ("pipeline", "won_vs_target", "activities", "top_deals")
PERIOD_KEYS = ("month", "quarter")
RANGE_KEYS = ("month", "quarter", "year")


@dataclasses.dataclass(frozen=True)
class Range:
    """The days a page's figures cover: this month, this quarter or the last 12 months."""

    key: str
    start: date
    end: date
    kind: TargetPeriod


def _range(keys=PERIOD_KEYS) -> Range:
    key = request.args.get("period", "month")
    key = key if key in keys else "month"
    today = targets.today()
    if key == "year":
        months = targets.last_months(today, 12)
        return Range(key, months[0].start, months[-1].end, TargetPeriod.MONTH)
    kind = TargetPeriod.QUARTER if key == "quarter" else TargetPeriod.MONTH
    period = targets.period_of(kind, today)
    return Range(key, period.start, period.end, kind)


def _range_labels() -> dict[str, str]:
    return {"month": _("This month"), "quarter": _("This quarter"), "year": _("Last 12 months")}


def _dashboard_scope(actor) -> tuple[perf.Scope, str]:
    scope = permissions.scope_for(actor, "opportunity", "read")
    if scope is permissions.Scope.ALL:
        return perf.Scope.visible_to(actor), _("Everybody")
    if scope is permissions.Scope.TEAM and actor.team is not None:
        return perf.Scope.for_team(actor.team), _("Team %(name)s", name=actor.team.name)
    return perf.Scope.for_user(actor), _("My figures")


def _kind_labels() -> dict:
    return {key.upper(): str(label) for key, label in KIND_LABELS.items()}


@bp.get("/dashboard")
def dashboard():
    permissions.require(current_user, "read", "opportunity")
    scope, scope_label = _dashboard_scope(current_user)
    return render_template(
        "sales/dashboard_index.html",
        panels=PANELS,
        period=_range(),
        period_labels={key: _range_labels()[key] for key in PERIOD_KEYS},
        scope=scope,
        scope_label=scope_label,
        teams=_visible_teams(current_user),
    )


@bp.get("/dashboard/panels/<name>")
def dashboard_panel(name: str):
    permissions.require(current_user, "read", "opportunity")
    if name not in PANELS:
        abort(404)
    scope, scope_label = _dashboard_scope(current_user)
    period = _range()
    context = {"name": name, "period": period, "scope_label": scope_label}
    if name == "pipeline":
        context["summary"] = perf.pipeline_by_stage(current_user, scope)
    elif name == "won_vs_target":
        target = perf.scope_target(scope, period.kind, period.start)
        won = perf.won_in_period(scope, period.start, period.end, target.currency)
        context |= {
            "target": target,
            "won": won,
            "attainment": perf.attainment(won.amount, target.amount),
            "team_target": scope.owner is None,
        }
    elif name == "activities":
        context["counts"] = perf.activity_counts(scope, period.start, period.end)
        context["kind_labels"] = _kind_labels()
    else:
        context["deals"] = perf.top_deals(current_user, 10, scope)
        context["stage_labels"] = STAGE_LABELS
    return render_template(f"sales/_dashboard_{name}.html", **context)


def _visible_teams(actor) -> list:
    """The teams whose pages `actor` may open (all for the ALL scope, else their own)."""
    scope = permissions.scope_for(actor, "opportunity", "read")
    query = sa.select(Team.id, Team.name).order_by(Team.name)
    if scope is permissions.Scope.ALL:
        return db.session.execute(query).all()
    if scope is permissions.Scope.TEAM and actor.team_id is not None:
        return db.session.execute(query.where(Team.id == actor.team_id)).all()
    return []


def _may_see_user(actor, user: User) -> bool:
    scope = permissions.scope_for(actor, "opportunity", "read")
    if scope is permissions.Scope.ALL or user.id == actor.id:
        return scope is not permissions.Scope.NONE
    return (
        scope is permissions.Scope.TEAM
        and actor.team_id is not None
        and (user.team_id == actor.team_id)
    )


def _may_see_team(actor, team: Team) -> bool:
    scope = permissions.scope_for(actor, "opportunity", "read")
    return scope is permissions.Scope.ALL or (
        scope is permissions.Scope.TEAM and actor.team_id == team.id
    )


def _performance(scope: perf.Scope, template: str, **context):
    period = _range(RANGE_KEYS)
    today = targets.today()
    currency = perf.scope_target(scope, TargetPeriod.MONTH, today).currency
    months = perf.monthly_won(scope, 12, currency, today)
    return render_template(
        template,
        period=period,
        period_labels=_range_labels(),
        currency=currency,
        months=months,
        win_rate=perf.win_rate(scope, period.start, period.end),
        deal_size=perf.average_deal_size(scope, period.start, period.end, currency),
        cycle=perf.average_cycle_days(scope, period.start, period.end),
        won=perf.won_in_period(scope, period.start, period.end, currency),
        counts=perf.activity_counts(scope, period.start, period.end),
        kind_labels=_kind_labels(),
        **context,
    )


@bp.get("/performance/users/<int:user_id>")
def performance_user(user_id: int):
    permissions.require(current_user, "read", "opportunity")
    user = db.session.get(User, user_id)
    if user is None or not _may_see_user(current_user, user):
        abort(404)
    return _performance(perf.Scope.for_user(user), "sales/performance_user.html", user=user)


@bp.get("/performance/teams/<int:team_id>")
def performance_team(team_id: int):
    permissions.require(current_user, "read", "opportunity")
    team = db.session.get(Team, team_id)
    if team is None or not _may_see_team(current_user, team):
        abort(404)
    members = [member for member in team.members if member.is_active]
    return _performance(
        perf.Scope.for_team(team), "sales/performance_team.html", team=team, members=members
    )
