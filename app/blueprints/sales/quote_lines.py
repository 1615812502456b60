"""A quote version's lines (added, edited and removed in place by htmx, which gets the lines
and totals fragment back; a plain form post gets the page), revising a version into the
next one, and recording the customer's decision on a sent quote."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.sales import bp
from app.blueprints.sales.quote_forms import DecisionForm, LineForm
from app.blueprints.sales.quotes import lines_context, quote_or_404, show_url
from app.extensions import db
from app.htmx import hx_trigger, wants_fragment
from app.services import quotes
from app.services.validation import RecordInvalid


def _refusal(refused: RecordInvalid) -> str:
    return getattr(refused, "message", None) or " ".join(refused.errors.values())


def _response(quote, **context):
    """The lines and totals fragment of `quote`."""
    html = render_template("sales/_quote_lines.html", **lines_context(quote, **context))
    return make_response(html)


def _change(quote_id: int, change, done: str, form=None, editing=None):
    """Run a change to a draft's lines; answer with the fragment (htmx) or the page."""
    quote = quote_or_404(quote_id, "edit")
    if form is not None and not form.validate_on_submit():
        abort(400)
    try:
        change(quote)
    except RecordInvalid as refused:
        db.session.rollback()
        locked = isinstance(refused, quotes.QuoteLocked) or not quote.is_editable
        if not wants_fragment():
            flash(_refusal(refused), "error")
            return redirect(show_url(quote, "#quote-lines"))
        if locked or form is None or "line" in refused.errors:
            return _response(quote, message=_refusal(refused))
        form.show_errors(refused.errors)
        if editing is not None:
            return _response(quote, edit_form=form, editing=editing)
        return _response(quote, line_form=form)
    db.session.commit()
    if not wants_fragment():
        flash(done, "success")
        return redirect(show_url(quote, "#quote-lines"))
    return hx_trigger(_response(quote, message=done, message_kind="success"), "quoteChanged")


@bp.get("/quotes/<int:quote_id>/lines")
def quote_lines(quote_id: int):
    return _response(quote_or_404(quote_id))


@bp.post("/quotes/<int:quote_id>/lines")
def quote_line_add(quote_id: int):
    form = LineForm()
    return _change(
        quote_id,
        lambda quote: quotes.add_line(quote, current_user, **form.values(with_product=True)),
        _("The line is added."),
        form,
    )


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
def quote_line_edit(quote_id: int, line_id: int):
    form = LineForm(prefix="edit")
    if form.is_submitted():
        return _change(
            quote_id,
            lambda quote: quotes.update_line(
                quote, current_user, line_id, **form.values(with_product=False)
            ),
            _("The line is saved."),
            form,
            editing=line_id,
        )
    quote = quote_or_404(quote_id, "edit")
    line = next((line for line in quote.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    form.fill(line)
    return _response(quote, edit_form=form, editing=line_id)


@bp.post("/quotes/<int:quote_id>/lines/<int:line_id>/delete")
def quote_line_remove(quote_id: int, line_id: int):
    return _change(
        quote_id,
        lambda quote: quotes.remove_line(quote, current_user, line_id),
        _("The line is removed."),
    )


@bp.post("/quotes/<int:quote_id>/revise")
def quote_revise(quote_id: int):
    quote = quote_or_404(quote_id, "edit")
    try:
        revision = quotes.revise(quote, current_user)
    except RecordInvalid as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(show_url(quote))
    db.session.commit()
    flash(
        _("%(revision)s is a new draft; %(quote)s is kept as it was.",
          revision=revision.reference, quote=quote.reference),
        "success",
    )  # fmt: skip
    return redirect(show_url(revision))


@bp.post("/quotes/<int:quote_id>/decision")
def quote_decision(quote_id: int):
    """Record the customer's answer (given by phone or mail): accepted makes the order."""
    quote = quote_or_404(quote_id, "edit")
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("accept", "decline"):
        abort(400)
    try:
        if form.decision.data == "accept":
            quotes.accept(quote, form.name.data, actor=current_user)
        else:
            quotes.decline(quote, form.name.data, form.reason.data, actor=current_user)
    except RecordInvalid as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(show_url(quote, "#quote-decision"))
    db.session.commit()
    if form.decision.data == "accept":
        flash(_("%(quote)s is accepted and its order is made.", quote=quote.reference), "success")
    else:
        flash(_("%(quote)s is declined.", quote=quote.reference), "success")
    return redirect(show_url(quote))
