"""Monthly sales costs, entered by managers for the customer acquisition cost report: the
months of a year with their costs, the form that sets one month's cost, and deleting one.
The rules and their messages live in app.services.sales_costs."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.reports import bp
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.analytics import SalesCost
from app.services import sales_costs, targets


class SalesCostForm(FlaskForm):
    month = StringField(_l("Month"), render_kw={"type": "month", "placeholder": "2026-01"})
    amount = StringField(_l("Amount"), render_kw={"inputmode": "decimal"})
    currency = StringField(_l("Currency"), render_kw={"maxlength": 3, "size": 3})
    note = StringField(_l("Note"), render_kw={"maxlength": sales_costs.NOTE_LENGTH})

    def show_errors(self, errors: dict) -> None:
        """Put the service's messages on the fields they are about."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        return {name: self[name].data for name in ("month", "amount", "currency", "note")}


def _year() -> int:
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and len(raw) == 4 else targets.today().year
    return min(max(year, sales_costs.FIRST_YEAR), sales_costs.LAST_YEAR)


def _blank_form() -> SalesCostForm:
    """The form, filled in for the month a "Set" link names (with its cost when entered)."""
    form = SalesCostForm(formdata=None)
    form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    month = sales_costs.parse_month(request.args.get("month"))
    if month is not None:
        form.month.data = f"{month:%Y-%m}"
        cost = sales_costs.cost_of(month, form.currency.data)
        if cost is not None:
            form.amount.data, form.note.data = str(cost.amount), cost.note
    return form


def _context(year: int, form: SalesCostForm | None = None) -> dict:
    may_edit = permissions.can(current_user, "create", "sales_cost")
    if form is None and may_edit:
        form = _blank_form()
    return {
        "year": year,
        "months": sales_costs.months_of_year(current_user, year),
        "form": form,
        "may_delete": permissions.can(current_user, "delete", "sales_cost"),
        "first_year": sales_costs.FIRST_YEAR,
        "last_year": sales_costs.LAST_YEAR,
    }


@bp.get("/sales-costs")
def sales_costs_index():
    permissions.require(current_user, "read", "sales_cost")
    return render_page_or_fragment(
        "reports/sales_costs.html", "reports/_sales_cost_months.html", **_context(_year())
    )


@bp.post("/sales-costs")
def sales_cost_set():
    permissions.require(current_user, "create", "sales_cost")
    form = SalesCostForm()
    cost = save_valid_form(form, lambda: sales_costs.set_cost(current_user, **form.values()))
    if cost is None:
        month = sales_costs.parse_month(form.month.data)
        return render_template(
            "reports/sales_costs.html", **_context(month.year if month else _year(), form)
        )
    flash(_("The sales cost of %(month)s is saved.", month=format_date(cost.month, "MMMM y")),
          "success")  # fmt: skip
    return redirect(url_for("reports.sales_costs_index", year=cost.month.year))


@bp.post("/sales-costs/<int:cost_id>/delete")
def sales_cost_delete(cost_id: int):
    cost = db.session.get(SalesCost, cost_id)
    if cost is None or not permissions.can(current_user, "read", "sales_cost", cost):
        abort(404)
    year = cost.month.year
    sales_costs.delete_cost(cost, current_user)
    db.session.commit()
    flash(_("The sales cost is deleted."), "success")
    return redirect(url_for("reports.sales_costs_index", year=year))
