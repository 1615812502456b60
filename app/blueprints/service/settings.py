"""The service settings: ticket categories, SLA policies and business calendars with their
holidays. Everyone who may read "service_settings" sees them; managers and administrators
change them (the permission decides)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.service import bp, sla_display  # noqa: F401 (template helpers)
from app.blueprints.service.settings_forms import (
    TIER_LABELS,
    WEEKDAY_LABELS,
    CalendarForm,
    CategoryForm,
    HolidayForm,
    SlaPolicyForm,
)
from app.extensions import db
from app.htmx import wants_fragment
from app.models.identity import Team
from app.models.service import BusinessCalendar, CalendarHoliday, SlaPolicy, TicketCategory
from app.services import service_settings, tickets
from app.services.validation import RecordInvalid

ENTITY = service_settings.ENTITY


def _record_or_404(model, record_id: int, action: str = "edit"):
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    permissions.require(current_user, action, ENTITY, record)
    return record


@bp.get("/service/settings")
def settings_index():
    permissions.require(current_user, "read", ENTITY)
    return render_template(
        "service/settings_index.html",
        categories=service_settings.categories(),
        policies=service_settings.policies(),
        calendars=service_settings.calendars(),
        teams={team.id: team.name for team in db.session.scalars(db.select(Team))},
        priority_labels=tickets.PRIORITY_LABELS,
        tier_labels=TIER_LABELS,
        weekday_labels=WEEKDAY_LABELS,
        may_edit=permissions.can(current_user, "edit", ENTITY),
        may_create=permissions.can(current_user, "create", ENTITY),
    )


def _form_page(form, kind: str, record, action_url: str):
    return render_template(
        "service/settings_form.html", form=form, kind=kind, record=record, action_url=action_url
    )


def _saved(message: str):
    flash(message, "success")
    return redirect(url_for("service.settings_index"))


@bp.route("/service/settings/categories/new", methods=["GET", "POST"])
def settings_category_new():
    permissions.require(current_user, "create", ENTITY)
    form = CategoryForm()
    saved = save_valid_form(
        form, lambda: service_settings.save_category(current_user, **form.values())
    )
    if saved is not None:
        return _saved(_("The category %(name)s is created.", name=saved.name))
    return _form_page(form, "category", None, url_for("service.settings_category_new"))


@bp.route("/service/settings/categories/<int:category_id>/edit", methods=["GET", "POST"])
def settings_category_edit(category_id: int):
    category = _record_or_404(TicketCategory, category_id)
    form = CategoryForm(obj=category)
    saved = save_valid_form(
        form, lambda: service_settings.save_category(current_user, category, **form.values())
    )
    if saved is not None:
        return _saved(_("The category %(name)s is saved.", name=saved.name))
    url = url_for("service.settings_category_edit", category_id=category.id)
    return _form_page(form, "category", category, url)


@bp.route("/service/settings/policies/new", methods=["GET", "POST"])
def settings_policy_new():
    permissions.require(current_user, "create", ENTITY)
    form = SlaPolicyForm()
    saved = save_valid_form(
        form, lambda: service_settings.save_policy(current_user, **form.values())
    )
    if saved is not None:
        return _saved(_("The SLA policy %(name)s is created.", name=saved.name))
    return _form_page(form, "policy", None, url_for("service.settings_policy_new"))


@bp.route("/service/settings/policies/<int:policy_id>/edit", methods=["GET", "POST"])
def settings_policy_edit(policy_id: int):
    policy = _record_or_404(SlaPolicy, policy_id)
    form = SlaPolicyForm(obj=policy)
    saved = save_valid_form(
        form, lambda: service_settings.save_policy(current_user, policy, **form.values())
    )
    if saved is not None:
        return _saved(_("The SLA policy %(name)s is saved.", name=saved.name))
    url = url_for("service.settings_policy_edit", policy_id=policy.id)
    return _form_page(form, "policy", policy, url)


@bp.route("/service/settings/calendars/new", methods=["GET", "POST"])
def settings_calendar_new():
    permissions.require(current_user, "create", ENTITY)
    form = CalendarForm()
    saved = save_valid_form(
        form, lambda: service_settings.save_calendar(current_user, **form.values())
    )
    if saved is not None:
        flash(_("The calendar %(name)s is created.", name=saved.name), "success")
        return redirect(url_for("service.settings_calendar_edit", calendar_id=saved.id))
    return render_template("service/settings_calendar.html", form=form, calendar=None)


@bp.route("/service/settings/calendars/<int:calendar_id>/edit", methods=["GET", "POST"])
def settings_calendar_edit(calendar_id: int):
    calendar = _record_or_404(BusinessCalendar, calendar_id, "read")
    may_edit = permissions.can(current_user, "edit", ENTITY, calendar)
    if request.method == "POST" and not may_edit:
        permissions.require(current_user, "edit", ENTITY, calendar)
    form = CalendarForm(obj=calendar)
    saved = save_valid_form(
        form, lambda: service_settings.save_calendar(current_user, calendar, **form.values())
    )
    if saved is not None:
        return _saved(_("The calendar %(name)s is saved.", name=saved.name))
    return render_template(
        "service/settings_calendar.html",
        form=form,
        calendar=calendar,
        holiday_form=HolidayForm(prefix="holiday"),
        may_edit=may_edit,
    )


def _holidays(calendar: BusinessCalendar, form=None, status: int = 200):
    return (
        render_template(
            "service/_settings_holidays.html",
            calendar=calendar,
            holiday_form=form or HolidayForm(prefix="holiday", formdata=None),
            may_edit=permissions.can(current_user, "edit", ENTITY, calendar),
        ),
        status,
    )


@bp.post("/service/settings/calendars/<int:calendar_id>/holidays")
def settings_holiday_add(calendar_id: int):
    calendar = _record_or_404(BusinessCalendar, calendar_id)
    form = HolidayForm(prefix="holiday")
    if form.validate_on_submit():
        try:
            holiday = service_settings.add_holiday(current_user, calendar, **form.values())
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
        else:
            db.session.commit()
            if wants_fragment():
                return _holidays(calendar)
            return _saved(_("%(day)s is a holiday now.", day=holiday.day.isoformat()))
    if wants_fragment():
        return _holidays(calendar, form)
    flash(" ".join(form.day.errors + form.name.errors + form.form_errors), "error")
    return redirect(url_for("service.settings_calendar_edit", calendar_id=calendar.id))


@bp.post("/service/settings/calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete")
def settings_holiday_remove(calendar_id: int, holiday_id: int):
    calendar = _record_or_404(BusinessCalendar, calendar_id)
    holiday = db.session.get(CalendarHoliday, holiday_id)
    if holiday is None or holiday.calendar_id != calendar.id:
        abort(404)
    service_settings.remove_holiday(current_user, calendar, holiday)
    db.session.commit()
    if wants_fragment():
        return _holidays(calendar)
    return redirect(url_for("service.settings_calendar_edit", calendar_id=calendar.id))
