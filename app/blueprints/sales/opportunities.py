"""The pipeline board and the deal list: columns per stage with drag and drop (htmx posts
each move with the version the card was drawn with; a stale move answers 409 with the
board as it is now), the lost and won dialogs, a "Move to" form on every card for use
without JavaScript, and the filtered, keyset-paged list of the same deals."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.sales import bp
from app.blueprints.sales.opportunity_forms import MoveForm
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.identity import Team
from app.models.sales import Opportunity, OpportunityStage, Pipeline
from app.services import opportunities, opportunity_lists, pipeline, record_checks
from app.services.validation import RecordInvalid, StaleRecord


def _pipeline_or_404(pipeline_id: int | None) -> Pipeline:
    """The pipeline asked for; the default one (or its unsaved stand-in, id 0) when none
    is named: a page view never creates one."""
    if not pipeline_id:
        if request.method == "POST":
            return opportunities.default_pipeline()
        return opportunities.board_pipeline()
    found = db.session.get(Pipeline, pipeline_id)
    if found is None:
        abort(404)
    return found


def _labels() -> dict:
    """The stage names translated once a request, as a dict and as (value, label) choices
    for the cards' "Move to" selects."""
    labels = {stage: str(label) for stage, label in opportunities.STAGE_LABELS.items()}
    return {
        "stage_labels": labels,
        "stage_choices": [(stage.value, label) for stage, label in labels.items()],
    }


def _board_context(board: Pipeline, filters, stages=None) -> dict:
    return {
        "pipeline": board,
        "columns": pipeline.board(current_user, board, filters, stages),
        "filters": filters,
        "filter_args": filters.as_args(),
        "all_pipelines": pipeline.pipelines(),
        "assignable": record_checks.assignable_users(current_user, "opportunity"),
        "teams": db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)).all(),
        "may_edit_pipeline": permissions.can(current_user, "edit", "pipeline"),
        **_labels(),
    }


@bp.get("/pipeline")
@bp.get("/pipeline/<int:pipeline_id>")
def board(pipeline_id: int | None = None):
    permissions.require(current_user, "read", "opportunity")
    context = _board_context(
        _pipeline_or_404(pipeline_id), pipeline.BoardFilters.from_args(request.args)
    )
    return render_page_or_fragment("sales/board_index.html", "sales/board_columns.html", **context)


def _deal_or_404(opportunity_id, action: str = "read") -> Opportunity:
    deal = (
        db.session.get(Opportunity, int(opportunity_id)) if str(opportunity_id).isdigit() else None
    )
    if deal is None or not permissions.can(current_user, "read", "opportunity", deal):
        abort(404)
    permissions.require(current_user, action, "opportunity", deal)
    return deal


@bp.post("/pipeline/<int:pipeline_id>/move")
def move(pipeline_id: int):
    """Move a card: the card redrawn plus both columns' headers (out of band); the lost
    dialog when a reason is missing, the won dialog until confirmed; 409 when stale."""
    board_ = _pipeline_or_404(pipeline_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    deal = _deal_or_404(form.opportunity_id.data, "edit")
    before = deal.stage
    target = pipeline.parse_stage(form.stage.data)
    filters = pipeline.BoardFilters.from_args(request.args)
    dialog = _dialog_for(deal, target, form)
    if dialog is not None:
        return dialog
    try:
        pipeline.move_stage(deal, current_user, target, form.version.data, form.loss_reason.data)
    except StaleRecord as stale:
        db.session.rollback()
        return _refused(board_, filters, stale.message, 409)
    except RecordInvalid as invalid:
        db.session.rollback()
        return _refused(board_, filters, " ".join(invalid.errors.values()), 422)
    offer_order = offers_order(before, deal)
    if not wants_fragment():
        db.session.commit()
        if offer_order:
            board_url = url_for("sales.board", pipeline_id=board_.id, **filters.as_args())
            return render_template(
                "sales/board_dialog_page.html", deal=deal, kind="order", not_now_url=board_url
            )
        flash(
            _(
                "%(name)s is now in %(stage)s.",
                name=deal.name,
                stage=opportunities.STAGE_LABELS[deal.stage],
            ),
            "success",
        )
        return redirect(url_for("sales.board", pipeline_id=board_.id, **filters.as_args()))
    columns = pipeline.board(current_user, board_, filters, {before, deal.stage}, with_cards=False)
    card = pipeline.Card(deal, deal_customer_name(deal), deal_owner_name(deal))
    # Drawn before the commit, from what the session holds (after it, the deal, the user
    # and the pipeline would each be read again); a failed commit still answers an error.
    html = render_template(
        "sales/board_moved.html", card=card, columns=columns, pipeline=board_,
        filter_args=filters.as_args(), offer_order=offer_order, deal=deal, **_labels(),
    )  # fmt: skip
    db.session.commit()
    return html


def offers_order(before, deal: Opportunity) -> bool:
    """A deal just won: offer to enter its order (to whoever may)."""
    return (
        deal.stage is OpportunityStage.CLOSED_WON
        and before is not OpportunityStage.CLOSED_WON
        and permissions.can(current_user, "create", "order")
    )


def deal_customer_name(deal: Opportunity) -> str:
    from app.models.customers import Customer

    return db.session.scalar(sa.select(Customer.name).where(Customer.id == deal.customer_id)) or ""


def deal_owner_name(deal: Opportunity) -> str:
    return record_checks.owner_names([deal]).get(deal.owner_id, "")


def _dialog_for(deal: Opportunity, target, form: MoveForm):
    """The dialog a move needs first: a loss reason, or the confirmation of a win."""
    lost = target is OpportunityStage.CLOSED_LOST and not (form.loss_reason.data or "").strip()
    won = target is OpportunityStage.CLOSED_WON and form.confirm.data != "yes"
    if not (lost or won) or target is deal.stage:
        return None
    context = {"deal": deal, "target": target, "form": form, "kind": "lost" if lost else "won"}
    if not wants_fragment():
        return render_template("sales/board_dialog_page.html", **context)
    response = make_response(render_template("sales/board_dialog.html", **context))
    response.headers["HX-Retarget"] = "#board-dialog"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _refused(board_: Pipeline, filters, message: str, status: int):
    """The board as it is now, with why the move was refused (the card goes back)."""
    if not wants_fragment():
        flash(message, "error")
        return redirect(url_for("sales.board", pipeline_id=board_.id, **filters.as_args()))
    context = _board_context(board_, filters) | {"message": message}
    response = make_response(render_template("sales/board_columns.html", **context), status)
    response.headers["HX-Retarget"] = "#board"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/opportunities")
def opportunity_index():
    permissions.require(current_user, "read", "opportunity")
    filters = opportunity_lists.OpportunityFilters.from_args(request.args)
    rows, next_cursor = opportunity_lists.opportunity_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    args = filters.as_args()
    context = {
        "filters": filters,
        "rows": rows,
        "owners": record_checks.owner_names(rows),
        "customers": _customer_names(rows),
        "assignable": record_checks.assignable_users(current_user, "opportunity"),
        "sort_url": lambda column: url_for(
            "sales.opportunity_index",
            **args
            | {
                "sort": column,
                "direction": "desc"
                if filters.sort == column and filters.direction == "asc"
                else "asc",
            },
        ),
        "pager": {
            "first_url": url_for("sales.opportunity_index", **args)
            if request.args.get("cursor")
            else None,
            "next_url": url_for("sales.opportunity_index", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
        **_labels(),
    }
    return render_page_or_fragment(
        "sales/opportunities_index.html", "sales/opportunities_rows.html", **context
    )


def _customer_names(rows) -> dict[int, str]:
    from app.models.customers import Customer

    ids = {row.customer_id for row in rows}
    if not ids:
        return {}
    return dict(
        db.session.execute(sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
        .tuples()
        .all()
    )


from app.blueprints.sales import opportunity_pages  # noqa: E402,F401
