"""The roles and permissions matrix: per role, entity and action, which records it reaches."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.admin import bp
from app.blueprints.admin.forms import ACTION_LABELS, ROLE_LABELS, SCOPE_LABELS
from app.extensions import db
from app.htmx import wants_fragment
from app.models.identity import Role

# The administrator role always has every right; only the others can be changed.
GRANTABLE = tuple(role for role in Role if role is not Role.ADMIN)


def cell_name(role: Role, entity: str, action: str) -> str:
    return f"{role.value}:{entity}:{action}"


def _submitted_scope(name: str) -> permissions.Scope | None:
    """The scope posted under `name`; None when absent, 400 for anything off the list."""
    value = request.form.get(name)
    if value is None:
        return None
    try:
        return permissions.Scope[value.upper()]
    except KeyError:
        abort(400)


def _matrix_context(**extra) -> dict:
    return {
        "grantable": GRANTABLE,
        "admin_role": Role.ADMIN,
        "entities": permissions.ENTITIES.values(),
        "actions": permissions.ACTIONS,
        "scope_of": permissions.role_scope,
        "default_of": permissions.default_scope,
        "cell_name": cell_name,
        "role_labels": ROLE_LABELS,
        "action_labels": ACTION_LABELS,
        "scope_labels": SCOPE_LABELS,
        **extra,
    }


@bp.get("/roles")
def roles():
    return render_template("admin/roles.html", **_matrix_context())


@bp.post("/roles")
def roles_save():
    """The whole matrix at once (the form without JavaScript)."""
    wanted = {}
    for role in GRANTABLE:
        for entity in permissions.ENTITIES:
            for action in permissions.ACTIONS:
                scope = _submitted_scope(cell_name(role, entity, action))
                if scope is not None:
                    wanted[(role, entity, action)] = scope
    changed = permissions.change_grants(current_user, wanted)
    db.session.commit()
    flash(_("Permissions saved: %(count)d changed.", count=changed), "success")
    return redirect(url_for("admin.roles"))


@bp.post("/roles/<role>/<entity>/<action>")
def role_grant(role: str, entity: str, action: str):
    """One cell of the matrix, saved as soon as its select changes; returns the cell."""
    grantable = {r.value: r for r in GRANTABLE}
    if role not in grantable or entity not in permissions.ENTITIES:
        abort(404)
    if action not in permissions.ACTIONS:
        abort(404)
    scope = _submitted_scope(cell_name(grantable[role], entity, action))
    if scope is None:
        abort(400)
    permissions.change_grant(current_user, grantable[role], entity, action, scope)
    db.session.commit()
    if not wants_fragment():
        flash(_("Permissions saved."), "success")
        return redirect(url_for("admin.roles"))
    return render_template(
        "admin/_role_cell.html",
        **_matrix_context(
            role=grantable[role],
            entity=permissions.ENTITIES[entity],
            action=action,
            saved=True,
        ),
    )


@bp.post("/roles/reset")
def roles_reset():
    removed = permissions.reset_grants(current_user)
    db.session.commit()
    message = _(
        "Every role is back to the default permissions (%(count)d changes undone).",
        count=removed,
    )
    if wants_fragment():
        return render_template("admin/_role_matrix.html", **_matrix_context(message=message))
    flash(message, "success")
    return redirect(url_for("admin.roles"))
