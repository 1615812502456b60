"""A deal's own pages: the detail page (profile, stage history with time in each stage,
members, products, documents), the form, deletion, the move-stage form, document
downloads, and the pipelines' administration (managers and administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.opportunities import (
    _deal_or_404,
    _labels,
    _pipeline_or_404,
    offers_order,
)
from app.blueprints.sales.opportunity_forms import (
    DocumentForm,
    MemberForm,
    MoveForm,
    OpportunityForm,
    PipelineForm,
    ProductLineForm,
)
from app.extensions import db
from app.models.customers import Customer
from app.models.identity import User
from app.models.sales import OpportunityDocument, Product
from app.services import (
    opportunities,
    opportunity_parts,
    pipeline,
    quote_lists,
    quotes,
    record_checks,
)
from app.services.validation import RecordInvalid, StaleRecord


def _show_url(deal, anchor: str = "") -> str:
    return url_for("sales.opportunity_show", opportunity_id=deal.id) + anchor


@bp.get("/opportunities/<int:opportunity_id>")
def opportunity_show(opportunity_id: int):
    deal = _deal_or_404(opportunity_id)
    may_edit = permissions.can(current_user, "edit", "opportunity", deal)
    member_form = MemberForm()
    member_form.user_id.choices = [
        (u.id, u.name) for u in record_checks.assignable_users(current_user, "opportunity")
    ]
    product_form = ProductLineForm()
    # SelectChoice, not Rows: WTForms 3.3 reads only tuples and SelectChoice as choices.
    product_form.product_id.choices = [
        SelectChoice(product_id, name)
        for product_id, name in db.session.execute(
            sa.select(Product.id, Product.name)
            .where(Product.is_active.is_(True))
            .order_by(Product.name)
            .limit(500)
        )
    ]
    lines = opportunity_parts.product_lines(deal)
    return render_template(
        "sales/opportunities_show.html",
        deal=deal,
        customer=db.session.get(Customer, deal.customer_id),
        owners=record_checks.owner_names([deal]),
        spans=pipeline.time_in_stages(deal),
        members=opportunity_parts.members_of(deal),
        lines=lines,
        lines_total=opportunity_parts.lines_total(lines),
        documents=opportunity_parts.documents_of(deal),
        move_form=MoveForm(
            data={"opportunity_id": deal.id, "version": deal.version, "stage": deal.stage.value}
        ),
        member_form=member_form,
        product_form=product_form,
        document_form=DocumentForm(),
        may_edit=may_edit,
        may_delete=permissions.can(current_user, "delete", "opportunity", deal),
        quotes=quote_lists.quotes_for_opportunity(current_user, deal.id),
        quote_labels=quotes.STATUS_LABELS,
        may_quote=permissions.can(current_user, "create", "quote"),
        **_labels(),
    )


def _form(deal):
    form = OpportunityForm(obj=deal if request.method == "GET" else None)
    owner = db.session.get(User, deal.owner_id) if deal and deal.owner_id else None
    form.set_owner_choices(current_user, "opportunity", owner)
    if deal is None and request.method == "GET":
        form.customer_id.data = request.args.get("customer_id", type=int)
    if deal is not None and request.method == "GET":
        form.probability.data = str(deal.probability) if deal.probability_is_manual else ""
        form.expected_close_date.data = (
            deal.expected_close_date.isoformat() if deal.expected_close_date else ""
        )
    return form


@bp.route("/opportunities/new", methods=["GET", "POST"])
def opportunity_new():
    permissions.require(current_user, "create", "opportunity")
    form = _form(None)
    deal = save_valid_form(
        form, lambda: opportunities.create_opportunity(current_user, **form.values())
    )
    if deal is not None:
        flash(_("The opportunity %(name)s is created.", name=deal.name), "success")
        return redirect(_show_url(deal))
    return render_template("sales/opportunities_form.html", form=form, deal=None)


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
def opportunity_edit(opportunity_id: int):
    deal = _deal_or_404(opportunity_id, "edit")
    form = _form(deal)
    try:
        saved = save_valid_form(
            form,
            lambda: opportunities.update_opportunity(
                deal, current_user, form.version.data, **form.values()
            ),
        )
    except StaleRecord as stale:
        db.session.rollback()
        flash(stale.message, "error")
        return redirect(_show_url(deal))
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=deal.name), "success")
        return redirect(_show_url(deal))
    return render_template("sales/opportunities_form.html", form=form, deal=deal)


@bp.route("/opportunities/<int:opportunity_id>/delete", methods=["GET", "POST"])
def opportunity_delete(opportunity_id: int):
    deal = _deal_or_404(opportunity_id, "delete")
    if request.method == "POST":
        name = deal.name
        opportunities.delete_opportunity(deal, current_user)
        db.session.commit()
        flash(_("The opportunity %(name)s is deleted.", name=name), "success")
        return redirect(url_for("sales.opportunity_index"))
    return render_template("sales/opportunities_delete.html", deal=deal)


@bp.post("/opportunities/<int:opportunity_id>/stage")
def opportunity_stage(opportunity_id: int):
    deal = _deal_or_404(opportunity_id, "edit")
    form = MoveForm()
    if form.validate_on_submit():
        before = deal.stage
        try:
            pipeline.move_stage(
                deal, current_user, form.stage.data, form.version.data, form.loss_reason.data
            )
        except (StaleRecord, RecordInvalid) as refused:
            db.session.rollback()
            message = getattr(refused, "message", None) or " ".join(refused.errors.values())
            flash(message, "error")
        else:
            db.session.commit()
            if offers_order(before, deal):
                return render_template(
                    "sales/board_dialog_page.html", deal=deal, kind="order",
                    not_now_url=_show_url(deal, "#stage-history"),
                )  # fmt: skip
            flash(_("The stage is changed."), "success")
    return redirect(_show_url(deal, "#stage-history"))


def _part_action(opportunity_id: int, anchor: str, action, message: str):
    """Run a change to a deal's members, lines or documents, then back to the deal."""
    deal = _deal_or_404(opportunity_id, "edit")
    try:
        action(deal)
    except (RecordInvalid, StaleRecord) as refused:
        db.session.rollback()
        flash(getattr(refused, "message", None) or " ".join(refused.errors.values()), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_show_url(deal, anchor))


@bp.post("/opportunities/<int:opportunity_id>/members")
def opportunity_member_add(opportunity_id: int):
    form = MemberForm()
    if not form.validate_on_submit():
        abort(400)
    return _part_action(
        opportunity_id,
        "#members",
        lambda deal: opportunity_parts.add_member(
            deal, current_user, request.form.get("user_id"), form.role.data
        ),
        _("The colleague is added."),
    )


@bp.post("/opportunities/<int:opportunity_id>/members/<int:member_id>/delete")
def opportunity_member_remove(opportunity_id: int, member_id: int):
    return _part_action(
        opportunity_id,
        "#members",
        lambda deal: opportunity_parts.remove_member(deal, current_user, member_id),
        _("The colleague is removed."),
    )


@bp.post("/opportunities/<int:opportunity_id>/products")
def opportunity_product_add(opportunity_id: int):
    form = ProductLineForm()
    if not form.validate_on_submit():
        abort(400)
    return _part_action(
        opportunity_id,
        "#products",
        lambda deal: opportunity_parts.add_product(
            deal,
            current_user,
            request.form.get("product_id"),
            form.quantity.data,
            form.unit_price.data,
        ),
        _("The product is added."),
    )


@bp.post("/opportunities/<int:opportunity_id>/products/<int:line_id>/delete")
def opportunity_product_remove(opportunity_id: int, line_id: int):
    return _part_action(
        opportunity_id,
        "#products",
        lambda deal: opportunity_parts.remove_product(deal, current_user, line_id),
        _("The product is removed."),
    )


@bp.post("/opportunities/<int:opportunity_id>/amount-from-products")
def opportunity_amount_from_products(opportunity_id: int):
    return _part_action(
        opportunity_id,
        "#products",
        lambda deal: opportunity_parts.amount_from_lines(
            deal, current_user, request.form.get("version")
        ),
        _("The amount is now the products' total."),
    )


@bp.post("/opportunities/<int:opportunity_id>/documents")
def opportunity_document_upload(opportunity_id: int):
    form = DocumentForm()
    if not form.validate_on_submit() or form.file.data is None:
        deal = _deal_or_404(opportunity_id, "edit")
        flash(_("Choose a file to upload."), "error")
        return redirect(_show_url(deal, "#documents"))
    upload = form.file.data
    return _part_action(
        opportunity_id,
        "#documents",
        lambda deal: opportunity_parts.save_document(
            deal, current_user, upload.filename, upload.stream
        ),
        _("The document is uploaded."),
    )


@bp.get("/opportunities/<int:opportunity_id>/documents/<int:document_id>")
def opportunity_document(opportunity_id: int, document_id: int):
    deal = _deal_or_404(opportunity_id)
    document = db.session.get(OpportunityDocument, document_id)
    if document is None or document.opportunity_id != deal.id:
        abort(404)
    response = send_file(
        opportunity_parts.document_path(document),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/opportunities/<int:opportunity_id>/documents/<int:document_id>/delete")
def opportunity_document_delete(opportunity_id: int, document_id: int):
    return _part_action(
        opportunity_id,
        "#documents",
        lambda deal: opportunity_parts.delete_document(deal, current_user, document_id),
        _("The document is deleted."),
    )


@bp.route("/pipelines", methods=["GET", "POST"])
def pipelines():
    """The pipelines: create one (managers and administrators), each with its stages."""
    permissions.require(current_user, "read", "pipeline")
    form = PipelineForm()
    if request.method == "POST":
        permissions.require(current_user, "create", "pipeline")
        made = save_valid_form(form, lambda: pipeline.create_pipeline(current_user, form.name.data))
        if made is not None:
            flash(_("The pipeline %(name)s is created.", name=made.name), "success")
            return redirect(url_for("sales.pipeline_edit", pipeline_id=made.id))
    rows = pipeline.pipelines()
    return render_template("sales/board_pipelines.html", pipelines=rows, form=form, **_labels())


@bp.route("/pipelines/<int:pipeline_id>", methods=["GET", "POST"])
def pipeline_edit(pipeline_id: int):
    """Rename a pipeline and set each stage's default probability."""
    permissions.require(current_user, "edit", "pipeline")
    board = _pipeline_or_404(pipeline_id)
    form = PipelineForm(obj=board)
    errors = {}
    if form.validate_on_submit():
        wanted = {
            stage: request.form[f"probability-{stage}"]
            for stage in (row.stage.value for row in board.stages)
            if f"probability-{stage}" in request.form
        }
        try:
            pipeline.rename_pipeline(current_user, board, form.name.data)
            pipeline.set_probabilities(current_user, board, wanted)
        except RecordInvalid as invalid:
            db.session.rollback()
            errors = invalid.errors
        else:
            db.session.commit()
            flash(_("The pipeline %(name)s is saved.", name=board.name), "success")
            return redirect(url_for("sales.pipelines"))
    return render_template(
        "sales/board_pipeline_form.html", pipeline=board, form=form, errors=errors, **_labels()
    )
