"""Administration of outgoing webhooks: subscriptions, their secret, a test event, and the
delivery log with "send again"."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.webhook_forms import WebhookForm
from app.extensions import db
from app.htmx import hx_redirect, render_page_or_fragment, wants_fragment
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.services import webhook_events, webhooks
from app.services.validation import RecordInvalid


def _subscription_or_404(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def _show_errors(form: WebhookForm, invalid: RecordInvalid) -> None:
    db.session.rollback()
    for name, message in invalid.errors.items():
        form[name].errors = [*form[name].errors, message] if name in form else [message]


def _form_values(form: WebhookForm) -> dict:
    return {
        "name": form.name.data,
        "url": form.url.data,
        "events": form.events.data,
        "active": form.active.data,
    }


def _detail(subscription: WebhookSubscription, form: WebhookForm, secret: str | None = None):
    return render_template(
        "admin/webhooks_detail.html",
        subscription=subscription,
        form=form,
        groups=webhook_events.event_groups(),
        log=webhooks.deliveries(subscription),
        new_secret=secret,
    )


@bp.get("/webhooks", endpoint="webhooks")
def webhooks_index():
    return render_template("admin/webhooks.html", subscriptions=webhooks.subscriptions())


@bp.route("/webhooks/new", methods=["GET", "POST"])
def webhooks_new():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            subscription, secret = webhooks.create(current_user, **_form_values(form))
        except RecordInvalid as invalid:
            _show_errors(form, invalid)
        else:
            db.session.commit()
            flash(_("The subscription %(name)s is created.", name=subscription.name), "success")
            # The secret is shown in this answer only, never by a later GET.
            return _detail(subscription, WebhookForm(obj=subscription, formdata=None), secret)
    groups = webhook_events.event_groups()
    return render_template("admin/webhooks_new.html", form=form, groups=groups)


@bp.get("/webhooks/<int:subscription_id>")
def webhooks_show(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    return _detail(subscription, WebhookForm(obj=subscription, formdata=None))


@bp.post("/webhooks/<int:subscription_id>")
def webhooks_edit(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            webhooks.update(subscription, current_user, **_form_values(form))
        except RecordInvalid as invalid:
            _show_errors(form, invalid)
        else:
            db.session.commit()
            flash(_("The subscription %(name)s is saved.", name=subscription.name), "success")
            return redirect(url_for("admin.webhooks_show", subscription_id=subscription.id))
    return _detail(subscription, form)


@bp.post("/webhooks/<int:subscription_id>/delete")
def webhooks_delete(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    name = subscription.name
    webhooks.delete(subscription, current_user)
    db.session.commit()
    flash(_("The subscription %(name)s is deleted.", name=name), "success")
    url = url_for("admin.webhooks")
    return hx_redirect(make_response("", 204), url) if wants_fragment() else redirect(url)


@bp.post("/webhooks/<int:subscription_id>/rotate")
def webhooks_rotate(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    if not request.form.get("confirm"):
        flash(_("Tick the box to confirm the receiving end will be updated."), "error")
        return redirect(url_for("admin.webhooks_show", subscription_id=subscription.id))
    secret = webhooks.rotate_secret(subscription, current_user)
    db.session.commit()
    flash(_("The secret is replaced: update the receiving end now."), "success")
    return _detail(subscription, WebhookForm(obj=subscription, formdata=None), secret)


def _back_to_log(subscription: WebhookSubscription):
    return redirect(url_for("admin.webhooks_show", subscription_id=subscription.id) + "#log")


@bp.post("/webhooks/<int:subscription_id>/test")
def webhooks_test(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    try:
        webhooks.send_test(subscription, current_user)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(invalid.errors.values()), "error")
    else:
        db.session.commit()
        flash(_("A test event (ping) is on its way; its delivery appears below."), "success")
    return _back_to_log(subscription)


@bp.get("/webhooks/<int:subscription_id>/deliveries")
def webhooks_deliveries(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    log = webhooks.deliveries(subscription, request.args.get("before", type=int))
    return render_page_or_fragment(
        "admin/webhooks_log.html",
        "admin/_webhook_deliveries.html",
        subscription=subscription,
        log=log,
    )


@bp.post("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver")
def webhooks_redeliver(subscription_id: int, delivery_id: int):
    subscription = _subscription_or_404(subscription_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        abort(404)
    try:
        webhooks.redeliver(delivery, current_user)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(invalid.errors.values()), "error")
    else:
        db.session.commit()
        flash(_("Delivery #%(id)d is being sent again.", id=delivery_id), "success")
    return _back_to_log(subscription)
