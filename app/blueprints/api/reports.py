"""Reports over the API: the catalogue of standard reports the caller may read, and one
report's figures for the given filters: the same Result the page, the CSV and the PDF
show (money and other decimals as exact strings, dates as ISO text).

A filter the report refuses (an unknown team, an end before the start...) answers 422 with
one message per filter; the page shows those messages and goes on without the filter, the
API does not guess."""

from __future__ import annotations

import marshmallow as ma
from flask import abort
from flask_babel import gettext

from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.errors import api_error_response
from app.services import reports
from app.services.reports import store

bp = ApiBlueprint(
    "api_reports",
    __name__,
    tag="Reports",
    description="Sales, customer, marketing and service reports.",
)


class ReportSchema(ma.Schema):
    key = ma.fields.String()
    family = ma.fields.String()
    title = ma.fields.String()
    definition = ma.fields.String()
    filters = ma.fields.List(ma.fields.String())
    groups = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    channels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ReportArgs(ma.Schema):
    """The filters of a report page (each report takes some of them)."""

    period = ma.fields.String(
        metadata={"description": "this_month, last_month, this_quarter, last_quarter, "
                  "this_year, last_year, last_12_months (default), last_36_months or custom"}
    )  # fmt: skip
    start = ma.fields.String(metadata={"description": "First day (custom period), 2026-01-31"})
    end = ma.fields.String(metadata={"description": "Last day (custom period), included"})
    team = ma.fields.String(metadata={"description": "Team id"})
    owner = ma.fields.String(metadata={"description": "User id of the records' owner"})
    product = ma.fields.String(metadata={"description": "Product id"})
    region = ma.fields.String(metadata={"description": "Country of the billing address, TW"})
    channel = ma.fields.String(metadata={"description": "One of the report's channels"})
    segment = ma.fields.String(metadata={"description": "Segment id"})
    group = ma.fields.String(metadata={"description": "One of the report's groupings"})


class ColumnSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    kind = ma.fields.String()


class FigureSchema(ma.Schema):
    label = ma.fields.String()
    value = ma.fields.Raw(allow_none=True)
    kind = ma.fields.String()
    hint = ma.fields.String()


class ResultSchema(ma.Schema):
    report = ma.fields.String()
    filters = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    start = ma.fields.Date()
    end = ma.fields.Date(metadata={"description": "The period's last day (included)"})
    currency = ma.fields.String()
    columns = ma.fields.List(ma.fields.Nested(ColumnSchema))
    rows = ma.fields.List(ma.fields.Dict())
    totals = ma.fields.Dict(allow_none=True)
    figures = ma.fields.List(ma.fields.Nested(FigureSchema))
    chart = ma.fields.Dict(allow_none=True)
    notes = ma.fields.List(ma.fields.String())
    computed_at = ma.fields.DateTime(
        metadata={"description": "When the figures were computed (kept a few minutes)"}
    )


def _described(report: reports.Report) -> dict:
    return {
        "key": report.key,
        "family": report.family,
        "title": str(report.title),
        "definition": str(report.definition),
        "filters": list(report.filters),
        "groups": {key: str(label) for key, label in report.groups.items()},
        "channels": dict(report.channel_choices()),
    }


@bp.get("/reports")
@bp.response(200, ReportSchema(many=True))
def index():
    """The reports the caller may read (each counts only the records they may read)."""
    return [_described(report) for report in reports.readable(acting_user())]


@bp.get("/reports/<key>")
@bp.arguments(ReportArgs, location="query")
@bp.response(200, ResultSchema)
def show(args, key: str):
    """One report's figures for the given filters."""
    report = reports.get(key)
    if report is None or not reports.may_read(acting_user(), report):
        abort(404, description=gettext("No such report."))
    filters, errors = report.parse_filters(args)
    if errors:
        fields = {name: [str(message)] for name, message in errors.items()}
        return api_error_response(
            422, "unprocessable_entity", gettext("Some filters are not valid."), fields
        )
    computed = store.run(report, filters, acting_user())
    return {
        "report": report.key,
        "filters": filters.args(),
        "start": filters.start,
        "end": filters.last_day,
        "computed_at": computed.computed_at,
        **computed.result.as_json(),
    }
