"""The A/B variants of a web form's landing page: add, change and remove them, how the
traffic is split (the weights of the active variants, normalised), which variant a
visitor sees, and the results (app.services.ab_testing against the first variant).

A form always keeps at least one active variant with a weight above zero, so its page
has something to show. A variant that was seen or submitted is kept for its results:
deactivate it instead of removing it.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.marketing import FormVariant, WebForm
from app.services import ab_testing
from app.services.record_checks import check_text
from app.services.validation import RecordInvalid

MAX_WEIGHT = 100
MAX_VARIANTS = 10
TEXT_LIMITS = {
    "name": 40,
    "headline": 200,
    "headline_zh": 200,
    "intro": 2000,
    "intro_zh": 2000,
    "button_label": 60,
    "button_label_zh": 60,
}
_FIELDS = set(TEXT_LIMITS) | {"weight", "is_active"}


def variants_of(form: WebForm) -> list[FormVariant]:
    """The form's variants, the first (the control of the A/B test) first."""
    query = sa.select(FormVariant).where(FormVariant.form_id == form.id)
    return list(db.session.scalars(query.order_by(FormVariant.id)))


def _check_weight(fields: dict, errors: dict) -> int:
    raw = fields.get("weight")
    if raw in (None, ""):
        return 50
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if isinstance(raw, bool) or not 0 <= value <= MAX_WEIGHT:
        errors["weight"] = gettext("Enter a whole number from 0 to %(max)d.", max=MAX_WEIGHT)
        return 0
    return value


def _is_active(raw) -> bool:
    return raw is True or str(raw).strip().lower() in ("1", "true", "y", "yes", "on")


def _apply(variant: FormVariant, form: WebForm, fields: dict, partial: bool) -> None:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown variant fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        if not partial or name in fields:
            required = gettext("Name the variant, like B.") if name == "name" else None
            values[name] = check_text(fields, name, limit, errors, required)
    if not partial or "weight" in fields:
        values["weight"] = _check_weight(fields, errors)
    if not partial or "is_active" in fields:
        values["is_active"] = _is_active(fields.get("is_active", True))
    others = [v for v in variants_of(form) if v.id != variant.id]
    name = values.get("name", variant.name)
    if "name" not in errors and any(v.name.lower() == (name or "").lower() for v in others):
        errors["name"] = gettext("Another variant of this form has this name.")
    showing = values.get("is_active", variant.is_active) and values.get("weight", variant.weight)
    if not showing and not any(v.is_active and v.weight > 0 for v in others):
        errors["weight"] = gettext(
            "At least one active variant needs a weight above 0, or the page shows nothing."
        )
    if errors:
        raise RecordInvalid(errors)
    for key, value in values.items():
        if getattr(variant, key) != value:
            setattr(variant, key, value)


def add_variant(form: WebForm, actor, **fields) -> FormVariant:
    """A new variant of `form` (active, weight 50 unless told otherwise)."""
    permissions.require(actor, "edit", "web_form", form)
    if len(variants_of(form)) >= MAX_VARIANTS:
        raise RecordInvalid(
            {"name": gettext("A form has at most %(max)d variants.", max=MAX_VARIANTS)}
        )
    variant = FormVariant(form_id=form.id, views=0, submissions=0)
    _apply(variant, form, fields, partial=False)
    db.session.add(variant)
    db.session.flush()
    return variant


def update_variant(variant: FormVariant, actor, **fields) -> FormVariant:
    """Change the given fields of a variant (its counters are never set here)."""
    form = db.session.get(WebForm, variant.form_id)
    permissions.require(actor, "edit", "web_form", form)
    _apply(variant, form, fields, partial=True)
    db.session.flush()
    return variant


def remove_variant(variant: FormVariant, actor) -> None:
    """Remove a variant nobody has seen yet (and never the last one that shows)."""
    form = db.session.get(WebForm, variant.form_id)
    permissions.require(actor, "edit", "web_form", form)
    if variant.views or variant.submissions:
        raise RecordInvalid(
            {"variant": gettext("This variant has results: deactivate it instead.")}
        )
    others = [v for v in variants_of(form) if v.id != variant.id]
    if not any(v.is_active and v.weight > 0 for v in others):
        raise RecordInvalid({"variant": gettext("A form keeps at least one active variant.")})
    db.session.delete(variant)
    db.session.flush()


def traffic_shares(variants: list[FormVariant]) -> dict[int, float]:
    """{variant id: share of the traffic} over the active variants (summing to 1)."""
    showing = [v for v in variants if v.is_active and v.weight > 0]
    total = sum(v.weight for v in showing)
    return {v.id: v.weight / total for v in showing} if total else {}


def pick(variants: list[FormVariant], draw: float) -> FormVariant | None:
    """The variant a uniform `draw` in [0, 1) falls on, each active variant taking a
    slice as wide as its weight (in id order, so the same draw gives the same variant)."""
    showing = [v for v in sorted(variants, key=lambda v: v.id) if v.is_active and v.weight > 0]
    total = sum(v.weight for v in showing)
    if not total:
        return None
    point = min(max(draw, 0.0), 0.999999999) * total
    for variant in showing:
        point -= variant.weight
        if point < 0:
            return variant
    return showing[-1]


@dataclasses.dataclass(frozen=True)
class VariantRow:
    """A variant and its A/B result, for the results panel and the API."""

    variant: FormVariant
    share: float | None
    result: ab_testing.VariantResult


def results(form: WebForm) -> list[VariantRow]:
    """Each variant's views, submissions and rate, and the others against the first."""
    variants = variants_of(form)
    shares = traffic_shares(variants)
    compared = ab_testing.compare([(v.name, v.views, v.submissions) for v in variants])
    return [
        VariantRow(v, shares.get(v.id), result)
        for v, result in zip(variants, compared, strict=True)
    ]
