"""Factories for marketing records: plain functions that build and flush (and commit)
valid records with sensible defaults. Other helpers may append small, clearly named
functions at the end."""

from __future__ import annotations

import itertools

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import User
from app.models.marketing import (
    Campaign,
    CampaignType,
    EmailPreference,
    EmailTemplate,
    Segment,
    SegmentEntity,
    SegmentKind,
    SegmentMember,
)

_seq = itertools.count(1)


def make_segment(owner: User | None, **fields) -> Segment:
    """A segment owned by `owner`: dynamic over contacts with no conditions unless told
    otherwise. Pass `kind=SegmentKind.STATIC` (or "STATIC") and `members=[ids]` for a
    static list of contact (or lead, with `entity`) ids."""
    members = fields.pop("members", None) or []
    kind = fields.pop("kind", SegmentKind.DYNAMIC)
    entity = fields.pop("entity", SegmentEntity.CONTACT)
    segment = Segment(
        name=fields.pop("name", f"Segment {next(_seq)}"),
        kind=SegmentKind(kind) if isinstance(kind, str) else kind,
        entity=SegmentEntity(entity) if isinstance(entity, str) else entity,
        definition=fields.pop("definition", {"match": "all", "groups": []}),
        owner_id=owner.id if owner else None,
        created_by_id=owner.id if owner else None,
        **fields,
    )
    db.session.add(segment)
    db.session.flush()
    for entity_id in members:
        db.session.add(
            SegmentMember(
                segment_id=segment.id,
                entity_id=entity_id,
                added_by_id=owner.id if owner else None,
            )
        )
    db.session.commit()
    return segment


def make_template(owner: User | None, **fields) -> EmailTemplate:
    """An email template owned by `owner` (stored as given: not sanitised or validated;
    use app.services.email_templates.create_template to go through validation)."""
    n = next(_seq)
    fields.setdefault("name", f"Template {n}")
    fields.setdefault("subject", 'Hello {{ contact.first_name | default("there") }}')
    fields.setdefault("sender_name", "Rapport")
    fields.setdefault(
        "html_body",
        '<p>Hi {{ contact.first_name | default("there") }},</p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    )
    fields.setdefault(
        "text_body",
        'Hi {{ contact.first_name | default("there") }},\n\nUnsubscribe: {{ unsubscribe_url }}',
    )
    template = EmailTemplate(
        owner_id=owner.id if owner else None,
        created_by_id=owner.id if owner else None,
        **fields,
    )
    db.session.add(template)
    db.session.commit()
    return template


def make_campaign(owner: User | None, **fields) -> Campaign:
    """An EMAIL campaign in USD owned by `owner` (planning, draft send) unless told
    otherwise; pass `segment=` / `template=` records or their ids."""
    segment = fields.pop("segment", None)
    template = fields.pop("template", None)
    if segment is not None:
        fields.setdefault("segment_id", segment.id)
    if template is not None:
        fields.setdefault("template_id", template.id)
    kind = fields.pop("type", CampaignType.EMAIL)
    fields.setdefault("channels", ["EMAIL"] if kind in (CampaignType.EMAIL, "EMAIL") else [])
    campaign = Campaign(
        name=fields.pop("name", f"Campaign {next(_seq)}"),
        type=CampaignType(kind) if isinstance(kind, str) else kind,
        currency=fields.pop("currency", "USD"),
        owner_id=owner.id if owner else None,
        created_by_id=owner.id if owner else None,
        **fields,
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_preference(email: str, consent: bool = True, **fields) -> EmailPreference:
    """The EmailPreference row of `email` (lower-cased), consenting by default."""
    address = email.strip().lower()
    preference = db.session.get(EmailPreference, address)
    if preference is None:
        preference = EmailPreference(email=address)
        db.session.add(preference)
    preference.consent = consent
    if consent:
        preference.consent_at = fields.pop("consent_at", utcnow())
        preference.consent_source = fields.pop("consent_source", "manual")
    for key, value in fields.items():
        setattr(preference, key, value)
    db.session.commit()
    return preference


def make_sequence(owner: User | None, steps=(), **fields):
    """A drip sequence owned by `owner` (MANUAL over leads, DRAFT unless `status` says
    otherwise) with `steps`, a list of (kind, settings); email steps get their campaign."""
    from app.models.marketing import (
        SegmentEntity,
        Sequence,
        SequenceStatus,
        SequenceStep,
        SequenceTrigger,
        StepKind,
    )
    from app.services import sequence_steps

    sequence = Sequence(
        name=fields.pop("name", f"Sequence {next(_seq)}"),
        status=SequenceStatus(fields.pop("status", "DRAFT")),
        trigger=SequenceTrigger(fields.pop("trigger", "MANUAL")),
        entity=SegmentEntity(fields.pop("entity", "LEAD")),
        owner_id=owner.id if owner else None,
        created_by_id=owner.id if owner else None,
        custom={},
        **fields,
    )
    db.session.add(sequence)
    db.session.flush()
    for position, (kind, settings) in enumerate(steps):
        db.session.add(
            SequenceStep(
                sequence_id=sequence.id,
                position=position,
                kind=StepKind(kind),
                settings=dict(settings),
            )
        )
    db.session.flush()
    sequence_steps.sync_campaigns(sequence, owner)
    db.session.commit()
    return sequence


def make_web_form(owner: User | None, **fields):
    """A published web form (fields: first name, last name, email, company) owned by
    `owner`, with variant A (weight 100) unless `variants=[{name, weight, ...}]` is given."""
    from app.models.marketing import FormStatus, FormVariant, WebForm
    from app.services.web_form_fields import DEFAULT_FIELDS

    variants = fields.pop("variants", None) or [{"name": "A", "weight": 100}]
    number = next(_seq)
    form = WebForm(
        name=fields.pop("name", f"Form {number}"),
        slug=fields.pop("slug", f"form-{number}"),
        status=FormStatus(fields.pop("status", "PUBLISHED")),
        fields=fields.pop("fields", [dict(field) for field in DEFAULT_FIELDS]),
        owner_id=owner.id if owner else None,
        created_by_id=owner.id if owner else None,
        custom={},
        **fields,
    )
    db.session.add(form)
    db.session.flush()
    for variant in variants:
        db.session.add(FormVariant(form_id=form.id, **variant))
    db.session.commit()
    return form
