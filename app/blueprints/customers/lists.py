"""What the customer and contact lists share: the page context (tags, owners, sort links,
pager, saved views) and the bulk action endpoint."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.htmx import hx_redirect, wants_fragment
from app.redirects import safe_next
from app.services import bulk, custom_fields, record_checks, saved_views, tags


def sort_url(endpoint: str, filters, column: str) -> str:
    """The list sorted by `column`: ascending first, the other way on a second click."""
    direction = "desc" if filters.sort == column and filters.direction == "asc" else "asc"
    args = filters.as_args() | {"sort": column, "direction": direction}
    return url_for(endpoint, **args)


def list_context(entity: str, endpoint: str, filters, rows, next_cursor) -> dict:
    """Everything a list template needs, in a fixed number of queries for the page."""
    args = filters.as_args()
    return {
        "filters": filters,
        "rows": rows,
        "tags_by_id": tags.tags_for(entity, [row.id for row in rows]),
        "owners": record_checks.owner_names(rows),
        "assignable": record_checks.assignable_users(current_user, entity.removesuffix("s")),
        "saved_views": saved_views.views_for(current_user, entity),
        "custom_field_defs": custom_fields.fields_for(entity.removesuffix("s")),
        "query_string": request.query_string.decode(errors="replace"),
        "sort_url": lambda column: sort_url(endpoint, filters, column),
        "pager": {
            "first_url": url_for(endpoint, **args) if request.args.get("cursor") else None,
            "next_url": url_for(endpoint, **args, cursor=next_cursor) if next_cursor else None,
        },
    }


def bulk_action(entity: str, endpoint: str):
    """Apply the chosen action to the checked rows, each authorised on its own."""
    ids = request.form.getlist("ids")
    action = request.form.get("action")
    if not ids:
        flash(_("Tick the rows to change first."), "error")
    elif action == "assign" and (request.form.get("owner_id") or "").isdigit():
        outcome = bulk.assign_owner(current_user, entity, ids, int(request.form["owner_id"]))
        _report(outcome)
    elif action == "tag":
        try:
            outcome = bulk.add_tag(current_user, entity, ids, request.form.get("tag", ""))
        except tags.TagError as refusal:
            flash(str(refusal), "error")
        else:
            _report(outcome)
    elif action == "delete":
        _report(bulk.delete(current_user, entity, ids))
    else:
        flash(_("Choose what to do with the ticked rows."), "error")
    back = safe_next(request.form.get("next"), url_for(endpoint))
    if wants_fragment():
        return hx_redirect(redirect(back), back)
    return redirect(back)


def _report(outcome) -> None:
    db.session.commit()
    if outcome.refused:
        flash(
            _(
                "%(changed)d changed, %(refused)d refused: you may not change those.",
                changed=outcome.changed,
                refused=outcome.refused,
            ),
            "error" if not outcome.changed else "success",
        )
    else:
        flash(_("%(changed)d changed.", changed=outcome.changed), "success")
