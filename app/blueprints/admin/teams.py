"""Administration of teams: list with member counts, create, rename, members, delete."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.forms import ROLE_LABELS, TeamForm
from app.extensions import db
from app.htmx import hx_redirect, wants_fragment
from app.models.identity import Team
from app.services import accounts


def _team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return team


def _go(url: str):
    """Redirect; an htmx request (the confirmed delete button) is told to load `url` itself."""
    if wants_fragment():
        return hx_redirect(make_response("", 204), url)
    return redirect(url)


def _list_page(form: TeamForm):
    teams = accounts.teams_with_member_counts(current_user)
    return render_template("admin/teams.html", teams=teams, form=form)


def _team_page(team: Team, form: TeamForm):
    return render_template("admin/teams_detail.html", team=team, form=form, role_labels=ROLE_LABELS)


@bp.get("/teams")
def teams():
    return _list_page(TeamForm(formdata=None))


@bp.post("/teams")
def team_new():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = accounts.create_team(
                actor=current_user, name=form.name.data, description=form.description.data or ""
            )
        except accounts.AccountError as refusal:
            form[refusal.field].errors.append(str(refusal))
        else:
            db.session.commit()
            flash(_("The team %(name)s is created.", name=team.name), "success")
            return redirect(url_for("admin.team", team_id=team.id))
    return _list_page(form)


@bp.get("/teams/<int:team_id>")
def team(team_id: int):
    team = _team_or_404(team_id)
    return _team_page(team, TeamForm(obj=team))


@bp.post("/teams/<int:team_id>")
def team_edit(team_id: int):
    team = _team_or_404(team_id)
    form = TeamForm()
    if form.validate_on_submit():
        try:
            accounts.update_team(
                team,
                actor=current_user,
                name=form.name.data,
                description=form.description.data or "",
            )
        except accounts.AccountError as refusal:
            db.session.rollback()
            form[refusal.field].errors.append(str(refusal))
        else:
            db.session.commit()
            flash(_("The team %(name)s is saved.", name=team.name), "success")
            return redirect(url_for("admin.team", team_id=team.id))
    return _team_page(team, form)


@bp.post("/teams/<int:team_id>/delete")
def team_delete(team_id: int):
    team = _team_or_404(team_id)
    name = team.name
    try:
        accounts.delete_team(team, actor=current_user)
    except accounts.AccountError as refusal:
        flash(str(refusal), "error")
        return _go(url_for("admin.team", team_id=team.id))
    db.session.commit()
    flash(_("The team %(name)s is deleted.", name=name), "success")
    return _go(url_for("admin.teams"))
