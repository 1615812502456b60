"""A pending order's lines over htmx: add, edit in place, remove. Each answers with the
lines fragment (table, totals and the add form); without htmx, with a redirect."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_login import current_user

from app.blueprints.sales import bp
from app.blueprints.sales.order_forms import OrderLineForm
from app.blueprints.sales.orders import _order_or_404, _show_url, show_context
from app.extensions import db
from app.htmx import wants_fragment
from app.services import orders
from app.services.validation import RecordInvalid


def _lines(order, line_form=None, message: str = "", editing=None, edit_form=None):
    if not wants_fragment():
        if message:
            flash(message, "error")
        return redirect(_show_url(order) + "#order-lines")
    context = show_context(order, line_form) | {
        "message": message,
        "editing": editing,
        "edit_form": edit_form,
    }
    return render_template("sales/_order_lines.html", **context)


def _refusal(invalid: RecordInvalid) -> str:
    return getattr(invalid, "message", None) or " ".join(invalid.errors.values())


@bp.post("/orders/<int:order_id>/lines")
def order_line_add(order_id: int):
    order = _order_or_404(order_id, "edit")
    form = OrderLineForm()
    if form.validate_on_submit():
        try:
            orders.add_line(order, current_user, **form.values(new=True))
        except orders.OrderLocked as locked:
            db.session.rollback()
            return _lines(order, message=locked.message)
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
            if not wants_fragment():
                return _lines(order, message=_refusal(invalid))
            return _lines(db.session.get(type(order), order_id), line_form=form)
        db.session.commit()
        return _lines(order)
    return _lines(order, line_form=form)


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
def order_line_edit(order_id: int, line_id: int):
    order = _order_or_404(order_id, "edit")
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        return _lines(order)
    if request.method == "GET":
        form = OrderLineForm(obj=line)
        return _lines(order, editing=line.id, edit_form=form)
    form = OrderLineForm()
    if form.validate_on_submit():
        try:
            orders.update_line(order, current_user, line_id, **form.values(new=False))
        except RecordInvalid as invalid:
            db.session.rollback()
            if isinstance(invalid, orders.OrderLocked) or not wants_fragment():
                return _lines(order, message=_refusal(invalid))
            form.show_errors(invalid.errors)
            return _lines(db.session.get(type(order), order_id), editing=line_id, edit_form=form)
        db.session.commit()
    return _lines(order)


@bp.post("/orders/<int:order_id>/lines/<int:line_id>/delete")
def order_line_remove(order_id: int, line_id: int):
    order = _order_or_404(order_id, "edit")
    try:
        orders.remove_line(order, current_user, line_id)
    except RecordInvalid as invalid:
        db.session.rollback()
        return _lines(order, message=_refusal(invalid))
    db.session.commit()
    return _lines(order)
