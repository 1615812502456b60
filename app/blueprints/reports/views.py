"""The report catalogue, a report's page (its filters re-run it in place through htmx) and
its CSV download."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from flask_login import current_user

from app import permissions
from app.blueprints.reports import bp
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.identity import Team, User
from app.models.marketing import Segment
from app.models.sales import Product
from app.services import exports, reports
from app.services.reports import store
from app.services.reports.filters import PERIODS


def report_or_404(key: str) -> reports.Report:
    report = reports.get(key)
    if report is None or not reports.may_read(current_user, report):
        abort(404)
    return report


def _choices(report: reports.Report) -> dict:
    """The options of the filters `report` takes, cut to what the reader may pick."""
    choices = {}
    if "team" in report.filters:
        query = sa.select(Team.id, Team.name).order_by(Team.name)
        scope = permissions.scope_for(current_user, report.entity, "read")
        if scope is not permissions.Scope.ALL:
            query = query.where(Team.id == current_user.team_id)
        choices["team"] = [(str(i), name) for i, name in db.session.execute(query)]
    if "owner" in report.filters:
        query = sa.select(User.id, User.name).where(
            permissions.visible(current_user, "user", User.id), User.is_active
        )
        choices["owner"] = [(str(i), n) for i, n in db.session.execute(query.order_by(User.name))]
    if "product" in report.filters:
        query = sa.select(Product.id, Product.name).order_by(Product.name)
        choices["product"] = [(str(i), name) for i, name in db.session.execute(query)]
    if "segment" in report.filters:
        query = sa.select(Segment.id, Segment.name).order_by(Segment.name)
        if report.segment_entity:
            query = query.where(Segment.entity == report.segment_entity)
        choices["segment"] = [(str(i), name) for i, name in db.session.execute(query)]
    return choices


@bp.get("/")
def index():
    readable = reports.readable(current_user)
    families = {
        key: [report for report in readable if report.family == key] for key in reports.FAMILIES
    }
    return render_template("reports/index.html", families=families, family_labels=reports.FAMILIES)


@bp.get("/<key>")
def show(key: str):
    report = report_or_404(key)
    filters, errors = report.parse_filters(request.args)
    computed = store.run(report, filters, current_user, fresh=bool(request.args.get("fresh")))
    return render_page_or_fragment(
        "reports/show.html",
        "reports/_body.html",
        report=report,
        filters=filters,
        errors=errors,
        result=computed.result,
        computed=computed,
        periods=PERIODS,
        choices=_choices(report),
    )


@bp.get("/<key>.csv")
def csv(key: str):
    report = report_or_404(key)
    filters, _errors = report.parse_filters(request.args)
    header, rows = store.run(report, filters, current_user).result.table()
    name = re.sub(r"[^a-z0-9-]+", "-", f"{report.key}-{filters.start}-{filters.end}")
    return Response(
        exports.csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
