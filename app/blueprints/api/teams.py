"""Teams over the API: list, show, create (administrators, via app.services.accounts)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.errors import field_error_response
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.extensions import db
from app.models.identity import Team
from app.services import accounts

bp = ApiBlueprint("api_teams", __name__, tag="Teams", description="Teams of staff users.")
bp.register_error_handler(accounts.AccountError, field_error_response)


class TeamSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    description = ma.fields.String(load_default="")
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class TeamFilters(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Part of the team's name."},
    )


@bp.get("/teams")
@paginated(bp, TeamFilters, TeamSchema)
def index(args):
    """All teams (teams have no owner: whoever may read teams sees them all)."""
    permissions.require(acting_user(), "read", "team")
    query = sa.select(Team)
    if "q" in args:
        query = query.where(Team.name.icontains(args["q"], autoescape=True))
    return paginate(query, Team.id, args)


@bp.get("/teams/<int:team_id>")
@bp.response(200, TeamSchema)
def show(team_id: int):
    """One team."""
    permissions.require(acting_user(), "read", "team")
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404, message=gettext("No such team."))
    return team


@bp.post("/teams")
@bp.arguments(TeamSchema)
@bp.response(201, TeamSchema)
def create(data):
    """Create a team (administrators)."""
    team = accounts.create_team(actor=acting_user(), **data)
    db.session.commit()
    return team
