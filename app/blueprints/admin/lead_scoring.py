"""The lead scoring rules for administrators: which factors give or take points, and in
which component. Until an administrator edits them the default rules are in use; the first
edit saves them as the company's own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.blueprints.admin import bp
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.models.predictions import LeadScoreRule, ScoreComponent
from app.services.predictions import lead_score_rules
from app.services.predictions.lead_features import FACTORS

COMPONENT_LABELS = {
    ScoreComponent.DEMOGRAPHIC: _l("Demographic"),
    ScoreComponent.BEHAVIOUR: _l("Behaviour"),
    ScoreComponent.ENGAGEMENT: _l("Engagement"),
}
OPERATOR_LABELS = {">=": _l("at least"), "<=": _l("at most"), "=": _l("is"), "in": _l("is one of")}


class RuleForm(FlaskForm):
    factor = SelectField(
        _l("Factor"), choices=[SelectChoice(key, label) for key, (_c, label, _t) in FACTORS.items()]
    )
    operator = SelectField(
        _l("Comparison"), choices=[SelectChoice(op, label) for op, label in OPERATOR_LABELS.items()]
    )
    value = StringField(_l("Value"))
    points = IntegerField(_l("Points"), validators=[InputRequired(_l("Enter the points."))])

    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)


def _page(form: RuleForm | None = None):
    stored = db.session.query(LeadScoreRule).count() > 0
    rules = lead_score_rules.stored_rules() if stored else lead_score_rules.rules()
    return render_template(
        "admin/lead_scoring.html",
        rules=rules,
        customised=stored,
        form=form or RuleForm(),
        factors=FACTORS,
        caps=lead_score_rules.CAPS,
        component_labels=COMPONENT_LABELS,
        operator_labels=OPERATOR_LABELS,
    )


@bp.get("/lead-scoring")
def lead_scoring():
    return _page()


@bp.post("/lead-scoring/rules")
def lead_scoring_rule_add():
    form = RuleForm()
    saved = save_valid_form(
        form,
        lambda: lead_score_rules.add_rule(
            form.factor.data, form.operator.data, form.value.data, form.points.data
        ),
    )
    if saved is None:
        return _page(form), 422
    flash(_("Rule added. Scores follow at the next scoring run (hourly)."), "success")
    return redirect(url_for("admin.lead_scoring"))


@bp.post("/lead-scoring/rules/<int:rule_id>/delete")
def lead_scoring_rule_delete(rule_id: int):
    rule = db.session.get(LeadScoreRule, rule_id) or abort(404)
    db.session.delete(rule)
    db.session.commit()
    flash(_("Rule deleted."), "success")
    return redirect(url_for("admin.lead_scoring"))


@bp.post("/lead-scoring/rules/<int:rule_id>/toggle")
def lead_scoring_rule_toggle(rule_id: int):
    rule = db.session.get(LeadScoreRule, rule_id) or abort(404)
    rule.is_active = not rule.is_active
    db.session.commit()
    return redirect(url_for("admin.lead_scoring"))


@bp.post("/lead-scoring/customise")
def lead_scoring_customise():
    """Save the default rules as the company's own, so each can be changed."""
    lead_score_rules.stored_rules()
    db.session.commit()
    return redirect(url_for("admin.lead_scoring"))
