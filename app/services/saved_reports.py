"""Custom reports saved from the builder: private to their owner, or shared with a team.

Who reads one: whoever the "report" permission lets read it (its owner; a manager, their
team's), and every member of the team it is shared with. Who changes or deletes one: its
owner, or whoever has team (or all) edit or delete rights over the owner. Running a saved
report always uses the rights of whoever runs it (app.services.report_builder), so a shared
report shows each teammate the records they may read."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.analytics import SavedReport
from app.models.identity import Team, User
from app.services import history, report_builder, report_queries
from app.services.record_checks import check_text
from app.services.validation import RecordInvalid

history.register_record_type("saved_reports", SavedReport, "report")

NAME_LENGTH = 120
DESCRIPTION_LENGTH = 500
LIST_LIMIT = 500
_FIELDS = {"name", "description", "entity", "definition", "shared"}


def readable_clause(viewer):
    """A WHERE clause over SavedReport keeping the reports `viewer` may read."""
    if permissions.scope_for(viewer, "report", "read") is permissions.Scope.NONE:
        return sa.false()
    own = permissions.visible(viewer, "report", SavedReport.owner_id)
    if viewer.team_id is None:
        return own
    return sa.or_(own, SavedReport.team_id == viewer.team_id)


def may_read(viewer, report: SavedReport) -> bool:
    if permissions.can(viewer, "read", "report", report):
        return True
    return (
        permissions.scope_for(viewer, "report", "read") is not permissions.Scope.NONE
        and report.team_id is not None
        and report.team_id == viewer.team_id
    )


def readable(viewer) -> list[SavedReport]:
    """The reports `viewer` may read (theirs, their team's shared ones), by name."""
    query = sa.select(SavedReport).where(readable_clause(viewer))
    query = query.order_by(SavedReport.name, SavedReport.id).limit(LIST_LIMIT)
    return list(db.session.scalars(query))


def owner_and_team_names(reports) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the owners and teams of `reports` by id (two small queries)."""
    owner_ids = {report.owner_id for report in reports if report.owner_id}
    team_ids = {report.team_id for report in reports if report.team_id}
    owners = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(owner_ids)))
    teams = db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(team_ids)))
    return dict(owners.all()), dict(teams.all())


def get(viewer, report_id) -> SavedReport | None:
    """The report `report_id` if `viewer` may read it (None for missing and forbidden)."""
    report = db.session.get(SavedReport, report_id) if isinstance(report_id, int) else None
    return report if report is not None and may_read(viewer, report) else None


def _apply(report: SavedReport, actor, fields: dict) -> None:
    """Check every field, then store them all, or raise RecordInvalid with every problem."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown saved report fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    name = check_text(fields, "name", NAME_LENGTH, errors, gettext("Enter a name for the report."))
    description = str(fields.get("description") or "").strip()
    if len(description) > DESCRIPTION_LENGTH:
        errors["description"] = gettext("Use at most %(max)d characters.", max=DESCRIPTION_LENGTH)
    entity, definition = fields.get("entity"), fields.get("definition")
    try:
        definition = report_builder.validate(entity, definition, actor)
    except RecordInvalid as invalid:
        errors |= {key if key == "entity" else f"definition.{key}": message
                   for key, message in invalid.errors.items()}  # fmt: skip
    team_id = None
    if fields.get("shared"):
        team_id = actor.team_id
        if team_id is None or db.session.get(Team, team_id) is None:
            errors["shared"] = gettext("You are in no team to share the report with.")
    if errors:
        raise RecordInvalid(errors)
    values = {
        "name": name,
        "description": description,
        "entity": entity,
        "definition": definition,
        "team_id": team_id,
        "updated_by_id": actor.id,
    }
    for key, value in values.items():
        if getattr(report, key) != value:
            setattr(report, key, value)


def create_report(actor, **fields) -> SavedReport:
    """Save a new report owned by `actor` (shared with their team when `shared`)."""
    permissions.require(actor, "create", "report")
    report = SavedReport(owner_id=actor.id, created_by_id=actor.id, definition={})
    _apply(report, actor, fields)
    db.session.add(report)
    db.session.flush()
    return report


def update_report(report: SavedReport, actor, **fields) -> SavedReport:
    """Change a report (all its fields at once, as the builder posts them)."""
    permissions.require(actor, "edit", "report", report)
    _apply(report, actor, fields)
    db.session.flush()
    return report


def delete_report(report: SavedReport, actor) -> None:
    permissions.require(actor, "delete", "report", report)
    db.session.delete(report)
    db.session.flush()


def run(report: SavedReport, viewer, limit: int | None = None):
    """The saved report's Result with `viewer`'s rights; RecordInvalid when its definition
    names something `viewer` may not use (a field of records they may not read)."""
    return report_builder.run(report.entity, report.definition or {}, viewer, limit)


@dataclasses.dataclass(frozen=True)
class Heading:
    """What the report body and the report PDF read of a report: a key for ids, a title
    and a definition (in words)."""

    key: str
    title: str
    definition: str


class NoPeriod:
    """A custom report covers no period of its own (its filters may name dates)."""

    start = None
    last_day = None


def run_for_export(report: SavedReport, viewer) -> tuple[Heading, object]:
    """(its heading, its Result) with `viewer`'s rights and the export row limit;
    RecordInvalid when it cannot run for them."""
    result, words = report_builder.run_and_describe(
        report.entity, report.definition or {}, viewer, report_queries.EXPORT_LIMIT
    )
    return Heading(f"custom-{report.id}", report.name, words), result
