"""Lead assignment rules (list in the order they are tried, create, edit, delete, move up
and down) and the web-to-lead page with the snippets to embed the public form. For
managers and administrators: the "assignment_rule" permission decides."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.assignment_forms import AssignmentRuleForm
from app.blueprints.sales.lead_forms import SOURCE_LABELS
from app.extensions import db
from app.htmx import hx_redirect, render_page_or_fragment, wants_fragment
from app.models.identity import Team, User
from app.models.sales import AssignmentRule
from app.services import lead_assignment


def _rule_or_404(rule_id: int, action: str) -> AssignmentRule:
    rule = db.session.get(AssignmentRule, rule_id)
    if rule is None:
        abort(404)
    permissions.require(current_user, action, "assignment_rule", rule)
    return rule


def _list_context() -> dict:
    rules = lead_assignment.rules_in_order()
    user_ids = {rule.user_id for rule in rules if rule.user_id}
    team_ids = {rule.team_id for rule in rules if rule.team_id}
    users = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(user_ids)))
    teams = db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(team_ids)))
    return {
        "rules": rules,
        "users": dict(users.tuples().all()),
        "teams": dict(teams.tuples().all()),
        "source_labels": {member.value: str(label) for member, label in SOURCE_LABELS.items()},
        "may_edit": permissions.can(current_user, "edit", "assignment_rule"),
        "may_create": permissions.can(current_user, "create", "assignment_rule"),
        "may_delete": permissions.can(current_user, "delete", "assignment_rule"),
    }


@bp.get("/assignment-rules")
def assignment_rules():
    permissions.require(current_user, "read", "assignment_rule")
    return render_page_or_fragment(
        "sales/assignment_rules_index.html", "sales/_assignment_rules_rows.html", **_list_context()
    )


@bp.route("/assignment-rules/new", methods=["GET", "POST"])
def assignment_rule_new():
    permissions.require(current_user, "create", "assignment_rule")
    form = AssignmentRuleForm()
    rule = save_valid_form(form, lambda: lead_assignment.create_rule(current_user, **form.values()))
    if rule is not None:
        flash(_("The rule %(name)s is created.", name=rule.name), "success")
        return redirect(url_for("sales.assignment_rules"))
    return render_template("sales/assignment_rules_form.html", form=form, rule=None)


@bp.route("/assignment-rules/<int:rule_id>/edit", methods=["GET", "POST"])
def assignment_rule_edit(rule_id: int):
    rule = _rule_or_404(rule_id, "edit")
    form = AssignmentRuleForm(obj=rule)
    saved = save_valid_form(
        form, lambda: lead_assignment.update_rule(rule, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The rule %(name)s is saved.", name=rule.name), "success")
        return redirect(url_for("sales.assignment_rules"))
    return render_template("sales/assignment_rules_form.html", form=form, rule=rule)


@bp.route("/assignment-rules/<int:rule_id>/delete", methods=["GET", "POST"])
def assignment_rule_delete(rule_id: int):
    rule = _rule_or_404(rule_id, "delete")
    if request.method == "GET":
        return render_template("sales/assignment_rules_delete.html", rule=rule)
    name = rule.name
    lead_assignment.delete_rule(rule, current_user)
    db.session.commit()
    flash(_("The rule %(name)s is deleted.", name=name), "success")
    target = url_for("sales.assignment_rules")
    if wants_fragment():
        return hx_redirect(make_response("", 204), target)
    return redirect(target)


@bp.post("/assignment-rules/<int:rule_id>/move")
def assignment_rule_move(rule_id: int):
    rule = _rule_or_404(rule_id, "edit")
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    lead_assignment.move(rule, current_user, direction)
    db.session.commit()
    if wants_fragment():
        return render_template("sales/_assignment_rules_rows.html", **_list_context())
    return redirect(url_for("sales.assignment_rules"))


@bp.get("/web-to-lead")
def web_to_lead():
    permissions.require(current_user, "read", "assignment_rule")
    base = current_app.config["BASE_URL"].rstrip("/")
    return render_template(
        "sales/assignment_rules_web_form.html",
        form_url=base + url_for("public.lead_form"),
        post_url=base + url_for("public.lead_submit"),
    )
