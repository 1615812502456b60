"""Sales targets: the list by period (filtered by year, period and owner), the form that
sets a rep's or a team's target for a month or a quarter, and deleting one. Everyone with
the "sales_target" read right sees the list (a rep their own targets); managers and
administrators change them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.target_forms import TargetForm, team_choices, user_choices
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.identity import Team, User
from app.models.orders import SalesTarget
from app.services import targets


def _filters() -> dict:
    def number(name):
        raw = request.args.get(name, "")
        return int(raw) if raw.isdigit() and len(raw) < 10 else None

    year = number("year") or targets.today().year
    period = targets.parse_period(request.args.get("period"))
    return {"year": year, "period": period, "user_id": number("user_id"),
            "team_id": number("team_id")}  # fmt: skip


def _context(form: TargetForm | None = None) -> dict:
    filters = _filters()
    rows = targets.targets_for(current_user, **filters)
    user_ids = {row.user_id for row in rows if row.user_id}
    team_ids = {row.team_id for row in rows if row.team_id}
    users = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(user_ids)))
    teams = db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(team_ids)))
    may_create = permissions.can(current_user, "create", "sales_target")
    if form is None and may_create:
        form = TargetForm(formdata=None)
    return {
        "rows": rows,
        "filters": filters,
        "user_names": dict(users.tuples().all()),
        "team_names": dict(teams.tuples().all()),
        "period_labels": {kind: str(label) for kind, label in targets.PERIOD_LABELS.items()},
        "user_filter": user_choices(_("Any rep")) if may_create else [],
        "team_filter": team_choices(_("Any team")) if may_create else [],
        "form": form,
        "may_delete": permissions.can(current_user, "delete", "sales_target"),
    }


@bp.get("/targets")
def targets_index():
    permissions.require(current_user, "read", "sales_target")
    return render_page_or_fragment(
        "sales/targets_index.html", "sales/_targets_rows.html", **_context()
    )


@bp.post("/targets")
def target_set():
    permissions.require(current_user, "create", "sales_target")
    form = TargetForm()
    target = save_valid_form(form, lambda: targets.set_target(current_user, **form.values()))
    if target is None:
        return render_template("sales/targets_index.html", **_context(form))
    flash(_("The target is saved."), "success")
    return redirect(url_for("sales.targets_index", year=target.period_start.year))


@bp.post("/targets/<int:target_id>/delete")
def target_delete(target_id: int):
    target = db.session.get(SalesTarget, target_id)
    if target is None or not permissions.can(current_user, "read", "sales_target", target):
        abort(404)
    year = target.period_start.year
    targets.delete_target(target, current_user)
    db.session.commit()
    flash(_("The target is deleted."), "success")
    return redirect(url_for("sales.targets_index", year=year))
