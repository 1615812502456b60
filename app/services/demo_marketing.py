"""Demo marketing for `flask rapport seed`: three years of campaigns of every type with
realistic results (sends, opens, clicks, bounces, unsubscribes, the leads and deals they
brought), bilingual email templates, a static list, each address's consent with its
evidence, and website behaviour events (the large scale adds 2,000,000 of them).

Bulk rows go in with SQLAlchemy Core executemany in chunks and are not audited one by one
(see app.services.demo_customers).
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    ConsentRecord,
    EmailPreference,
    EmailTemplate,
    EventKind,
    FormVariant,
    MarketingEvent,
    MarketingTopic,
    RecipientStatus,
    Segment,
    SegmentEntity,
    SegmentKind,
    SegmentMember,
    SendState,
)
from app.models.sales import Lead, LeadSource, Opportunity
from app.services.demo_customers import _insert, _next_id, _sync_sequences

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
MESSAGE_DOMAIN = "rapport.local"
# (English name, Chinese name, type, topic, channels)
T, M = CampaignType, MarketingTopic
PLANS = [
    ("Monthly newsletter", "每月電子報", T.EMAIL, M.NEWSLETTER, ["EMAIL"]),
    ("Product launch", "新品發表", T.EMAIL, M.PRODUCT, ["EMAIL", "SOCIAL:linkedin"]),
    ("Year-end offer", "年終優惠", T.EMAIL, M.OFFERS, ["EMAIL", "ADS"]),
    ("Webinar: ERP basics", "線上研討會：ERP 入門", T.WEBINAR, M.EVENTS, ["EMAIL", "WEBINAR"]),
    ("Computex booth", "Computex 攤位", T.EVENT, M.EVENTS, ["EVENT"]),
    ("LinkedIn ads", "LinkedIn 廣告", T.SOCIAL, M.PRODUCT, ["SOCIAL:linkedin", "ADS"]),
    ("Facebook page posts", "Facebook 粉絲頁", T.SOCIAL, M.OFFERS, ["SOCIAL:facebook"]),
    ("Buyer's guide e-book", "採購指南電子書", T.CONTENT, M.PRODUCT, ["CONTENT", "EMAIL"]),
]
TEMPLATES = [
    (
        "Newsletter",
        "{{ campaign.name }}: what's new this month",
        "{{ campaign.name }}：本月新消息",
        '<h2>Hello {{ contact.first_name | default("there") }},</h2>'
        "<p>Here is what happened at Rapport Demo this month.</p>"
        '<p><a href="https://example.com/blog">Read the blog</a></p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
        "<h2>{{ contact.last_name }}{{ contact.first_name }} 您好，</h2>"
        "<p>以下是本月的最新消息。</p>"
        '<p><a href="https://example.com/zh-tw/blog">閱讀部落格</a></p>'
        '<p><a href="{{ unsubscribe_url }}">取消訂閱</a></p>',
    ),
    (
        "Webinar invitation",
        "You're invited: {{ campaign.name }}",
        "誠摯邀請：{{ campaign.name }}",
        '<p>Dear {{ contact.first_name | default("customer") }},</p>'
        '<p>Join our free webinar and see how {{ company.name | default("your team") }} can '
        'save time.</p><p><a href="https://example.com/webinar">Save your seat</a></p>',
        "<p>{{ contact.last_name }}{{ contact.first_name }} 您好：</p>"
        '<p>歡迎報名免費線上研討會。</p><p><a href="https://example.com/zh-tw/webinar">立即報名</a></p>',
    ),
    (
        "Product launch",
        "Meet the new Rapport Sensor S2",
        "全新 Rapport Sensor S2 登場",
        '<p>Hi {{ contact.first_name | default("there") }},</p>'
        '<p>The S2 is here. <a href="https://example.com/s2">See what is new</a>.</p>',
        "<p>{{ contact.last_name }}{{ contact.first_name }} 您好，</p><p>S2 正式上市。"
        '<a href="https://example.com/zh-tw/s2">了解更多</a>。</p>',
    ),
    (
        "Year-end offer",
        '{{ contact.first_name | default("Friends") }}, 15% off until 31 December',
        "年終優惠：12 月 31 日前享 85 折",
        "<p>Order before the year ends and save 15%.</p>"
        '<p><a href="https://example.com/offer">Get the offer</a></p>',
        '<p>年底前訂購享 85 折優惠。</p><p><a href="https://example.com/zh-tw/offer">領取優惠</a></p>',
    ),
]
PAGES = ["/", "/pricing", "/product/s2", "/blog/erp-basics", "/contact", "/zh-tw/", "/zh-tw/價格"]
DOWNLOADS = ["/files/buyers-guide.pdf", "/files/s2-datasheet.pdf", "/files/採購指南.pdf"]
UTM_SOURCES = ["google", "linkedin", "facebook", "newsletter", "direct"]
# Behaviour events by kind (website visits dominate).
EVENT_WEIGHTS = {EventKind.VISIT: 80, EventKind.DOWNLOAD: 12, EventKind.FORM_SUBMIT: 8}


def seed_marketing(ctx: SeedContext) -> dict:
    """Templates, consent, campaigns with their sends and results, attribution, events."""
    now = datetime.now(UTC).replace(microsecond=0)
    marketers = [u for u in ctx.staff if u.role is Role.MARKETING] or ctx.staff[:1]
    templates = _templates(marketers[0])
    people = db.session.execute(
        sa.select(Contact.id, Contact.email, Contact.created_at)
        .where(Contact.email != "")
        .order_by(Contact.id)
    ).all()
    addresses = _preferences(ctx, people, now)
    segment = _static_list(ctx, marketers[0], people)
    dynamic = _dynamic_segments(marketers[0])
    campaigns = _campaigns(ctx, marketers, templates, segment, now)
    recipients, email_events = _sends(ctx, campaigns, people, addresses, now)
    leads, deals = _attribute(ctx, campaigns, now)
    forms = _web_form(ctx, marketers[0], campaigns, now)
    events = _behaviour(ctx, campaigns, now) + email_events
    _sync_sequences(Campaign, CampaignRecipient, MarketingEvent, ConsentRecord)
    return {
        "email_templates": len(templates),
        "segments": 1 + len(dynamic),
        "campaigns": len(campaigns),
        "campaign_recipients": recipients,
        "email_consents": sum(1 for state in addresses.values() if state == "consent"),
        "attributed_leads": leads,
        "attributed_opportunities": deals,
        "web_forms": forms,
        "marketing_events": events,
    }


def _templates(owner) -> list[EmailTemplate]:
    rows = [
        EmailTemplate(
            name=name,
            sender_name="Rapport Demo",
            sender_name_zh="Rapport 示範公司",
            subject=subject,
            subject_zh=subject_zh,
            html_body=html,
            html_body_zh=html_zh,
            owner_id=owner.id,
            created_by_id=owner.id,
        )
        for name, subject, subject_zh, html, html_zh in TEMPLATES
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _preferences(ctx: SeedContext, people, now: datetime) -> dict[str, str]:
    """Three in four addresses gave consent (at a form, an event or an import); a few of
    those later unsubscribed or bounced. Returns each address's state."""
    rng, states, prefs, records = ctx.rng, {}, [], []
    for contact_id, email, created in people:
        address = email.strip().lower()
        if address in states:
            continue
        roll = rng.random()
        if roll >= 0.75:
            states[address] = "none"
            continue
        granted_at = min(now, created + timedelta(days=rng.randint(0, 30)))
        source = rng.choice(["form", "event", "import", "portal"])
        state = "unsubscribed" if roll < 0.02 else "bounced" if roll < 0.035 else "consent"
        states[address] = state
        left = min(now, granted_at + timedelta(days=rng.randint(30, 600)))
        prefs.append(
            {
                "email": address,
                "consent": state != "unsubscribed",
                "consent_at": granted_at,
                "consent_source": source,
                "unsubscribed_at": left if state == "unsubscribed" else None,
                "bounced_at": left if state == "bounced" else None,
                "bounce_count": 1 if state == "bounced" else 0,
                "bounce_reason": "550 5.1.1 mailbox unavailable" if state == "bounced" else "",
                "topics_opted_out": [MarketingTopic.OFFERS.value] if roll > 0.7 else [],
                "locale": "",
                "updated_at": left if state != "consent" else granted_at,
            }
        )
        evidence = {"email": address, "contact_id": contact_id, "channel": "EMAIL", "ip": None}
        records.append(
            {**evidence, "granted": True, "source": source, "detail": "", "at": granted_at}
        )
        if state == "unsubscribed":
            records.append(
                {
                    **evidence,
                    "granted": False,
                    "source": "unsubscribe_link",
                    "detail": "",
                    "at": left,
                }
            )
    _insert(EmailPreference.__table__, prefs)
    _insert(ConsentRecord.__table__, records)
    return states


def _static_list(ctx: SeedContext, owner, people) -> Segment:
    segment = Segment(
        name="Trade fair visitors 展覽訪客",
        description="Visitors who left a card at our booth.",
        entity=SegmentEntity.CONTACT,
        kind=SegmentKind.STATIC,
        definition={},
        owner_id=owner.id,
        created_by_id=owner.id,
    )
    db.session.add(segment)
    db.session.flush()
    chosen = ctx.rng.sample(people, min(len(people), max(10, len(people) // 20)))
    _insert(
        SegmentMember.__table__,
        [{"segment_id": segment.id, "entity_id": row[0]} for row in sorted(chosen)],
    )
    segment.last_count = len(chosen)
    return segment


# Dynamic audiences, in the condition language of app.services.segment_rules.
DYNAMIC_SEGMENTS = [
    (
        "Customers in Taiwan who agreed to email 台灣客戶（同意行銷）",
        SegmentEntity.CONTACT,
        [
            {"field": "customer_country", "op": "eq", "value": "TW"},
            {"field": "customer_status", "op": "eq", "value": "CUSTOMER"},
            {"field": "consent", "op": "is_true", "value": None},
        ],
    ),
    (
        "Engaged readers (opened email in 90 days) 近期開信讀者",
        SegmentEntity.CONTACT,
        [{"field": "campaign_opened", "op": "has", "value": {"campaign_id": None, "days": 90}}],
    ),
    (
        "Hot web leads 熱門網站名單",
        SegmentEntity.LEAD,
        [
            {"field": "source", "op": "in", "value": ["WEB_FORM", "SOCIAL"]},
            {"field": "events", "op": "gte", "value": {"kind": "VISIT", "days": 30, "count": 2}},
        ],
    ),
]


def _dynamic_segments(owner) -> list[Segment]:
    from app.services import segment_rules

    rows = []
    for name, entity, conditions in DYNAMIC_SEGMENTS:
        definition = {"match": "all", "groups": [{"match": "all", "conditions": conditions}]}
        rows.append(
            Segment(
                name=name,
                entity=entity,
                kind=SegmentKind.DYNAMIC,
                definition=segment_rules.validate(entity, definition),
                owner_id=owner.id,
                created_by_id=owner.id,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _campaigns(ctx: SeedContext, marketers, templates, segment, now: datetime) -> list[dict]:
    rng, count = ctx.rng, ctx.size["campaigns"]
    currency = current_app.config["DEFAULT_CURRENCY"]
    first_id, today, rows = _next_id(Campaign), now.date(), []
    span = YEARS * 365
    for n in range(count):
        name_en, name_zh, kind, topic, channels = PLANS[n % len(PLANS)]
        start = today - timedelta(days=span) + timedelta(days=int(n * (span + 60) / count))
        end = start + timedelta(days=rng.randint(7, 45))
        budget = Decimal(rng.randrange(5, 60) * 100)
        started, finished = start <= today, end < today
        owner = rng.choice(marketers)
        emails = "EMAIL" in channels
        rows.append(
            {
                "id": first_id + n,
                "name": f"{name_en} {start:%Y-%m} {name_zh}",
                "type": kind.value,
                "status": (
                    CampaignStatus.COMPLETED
                    if finished
                    else CampaignStatus.ACTIVE
                    if started
                    else CampaignStatus.PLANNING
                ).value,
                "topic": topic.value,
                "start_date": start,
                "end_date": end,
                "currency": currency,
                "budget": budget,
                "actual_cost": (budget * Decimal(rng.uniform(0.6, 1.1))).quantize(Decimal(1))
                if started
                else Decimal(0),
                "expected_revenue": budget * rng.randint(3, 10),
                "channels": channels,
                "impressions": rng.randrange(2_000, 60_000) if not emails and started else 0,
                "description": "",
                "segment_id": segment.id if emails else None,
                "template_id": templates[n % len(templates)].id if emails else None,
                "send_state": (SendState.SENT if emails and started else SendState.DRAFT).value,
                "send_rate": None,
                "duplicates_skipped": 0,
                "send_started_at": _at(start) if emails and started else None,
                "send_finished_at": _at(start) + timedelta(minutes=20)
                if emails and started
                else None,
                "owner_id": owner.id,
                "created_by_id": owner.id,
                "updated_by_id": owner.id,
                "custom": {},
                "created_at": _at(start) - timedelta(days=14),
                "updated_at": _at(min(end, today)),
            }
        )
    _insert(Campaign.__table__, rows)
    return rows


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _sends(ctx: SeedContext, campaigns, people, addresses, now) -> tuple[int, int]:
    """Each sent email campaign went to a sample of the addresses that could receive it;
    about a quarter opened, one in seven of those clicked, 1-2% bounced."""
    rng, low, high = ctx.rng, *ctx.size["campaign_audience"]
    next_recipient, next_event = _next_id(CampaignRecipient), _next_id(MarketingEvent)
    recipients = events = 0
    for campaign in campaigns:
        if campaign["send_state"] != SendState.SENT.value:
            continue
        sent_at = campaign["send_started_at"]
        unique = {
            row[1].strip().lower(): row[0]
            for row in people
            if addresses.get(row[1].strip().lower()) == "consent"
        }
        audience = rng.sample(sorted(unique.items()), min(len(unique), rng.randint(low, high)))
        open_rate, batch, event_rows = rng.uniform(0.16, 0.34), [], []
        for email, contact_id in audience:
            rid, at = next_recipient, sent_at + timedelta(seconds=len(batch) // 5)
            next_recipient += 1
            bounced = rng.random() < 0.015
            opened = not bounced and rng.random() < open_rate
            clicked = opened and rng.random() < 0.15
            unsubscribed = opened and rng.random() < 0.01
            open_at = at + timedelta(minutes=rng.randint(5, 4_000)) if opened else None
            click_at = open_at + timedelta(minutes=rng.randint(0, 30)) if clicked else None
            batch.append(
                {
                    "id": rid,
                    "campaign_id": campaign["id"],
                    "contact_id": contact_id,
                    "lead_id": None,
                    "email": email,
                    "status": RecipientStatus.SENT.value,
                    "skip_reason": "",
                    "claimed_by": "",
                    "claimed_at": at,
                    "sent_at": at,
                    "message_id": f"<campaign-{campaign['id']}.recipient-{rid}@{MESSAGE_DOMAIN}>",
                    "error": "",
                    "opened_at": open_at,
                    "open_count": rng.randint(1, 3) if opened else 0,
                    "clicked_at": click_at,
                    "click_count": 1 if clicked else 0,
                    "bounced_at": at + timedelta(minutes=2) if bounced else None,
                    "unsubscribed_at": click_at or open_at if unsubscribed else None,
                }
            )
            for kind, when in (
                (EventKind.EMAIL_OPEN, open_at),
                (EventKind.EMAIL_CLICK, click_at),
                (EventKind.BOUNCE, at + timedelta(minutes=2) if bounced else None),
            ):
                if when is not None:
                    event_rows.append(
                        _event(
                            next_event + len(event_rows),
                            kind,
                            when,
                            contact_id,
                            None,
                            campaign["id"],
                        )
                    )
        recipients += _insert(CampaignRecipient.__table__, batch)
        events += _insert(MarketingEvent.__table__, event_rows)
        next_event += len(event_rows)
    return recipients, events


def _event(event_id, kind, when, contact_id, lead_id, campaign_id, url="", detail=None) -> dict:
    return {
        "id": event_id,
        "kind": kind.value,
        "occurred_at": when,
        "contact_id": contact_id,
        "lead_id": lead_id,
        "campaign_id": campaign_id,
        "visitor_id": "",
        "url": url,
        "detail": detail or {},
    }


def _running(campaigns, starts, when: datetime) -> dict | None:
    """The latest campaign that started before `when`, if it started within 90 days."""
    index = bisect.bisect_right(starts, when.date()) - 1
    if index < 0 or (when.date() - starts[index]).days > 90:
        return None
    return campaigns[index]


def _attribute(ctx: SeedContext, campaigns, now) -> tuple[int, int]:
    """Campaign, event and social leads, half the web-form leads and a quarter of the deals
    came from the campaign running when they arrived."""
    rng = ctx.rng
    started = [c for c in campaigns if c["start_date"] <= now.date()]
    starts = [c["start_date"] for c in started]
    lead_updates, deal_updates = [], []
    sourced = (LeadSource.CAMPAIGN, LeadSource.EVENT, LeadSource.SOCIAL, LeadSource.WEB_FORM)
    for lead_id, source, created in db.session.execute(
        sa.select(Lead.id, Lead.source, Lead.created_at).where(Lead.source.in_(sourced))
    ):
        if source is LeadSource.WEB_FORM and rng.random() < 0.5:
            continue
        campaign = _running(started, starts, created)
        if campaign is not None:
            medium = "social" if campaign["type"] == "SOCIAL" else "email"
            lead_updates.append(
                {
                    "lead_id": lead_id,
                    "campaign": campaign["id"],
                    "utm_source": rng.choice(UTM_SOURCES),
                    "utm_medium": medium,
                    "utm_campaign": f"c{campaign['id']}",
                }
            )
    for deal_id, created in db.session.execute(sa.select(Opportunity.id, Opportunity.created_at)):
        if rng.random() < 0.25 and (campaign := _running(started, starts, created)) is not None:
            deal_updates.append({"deal_id": deal_id, "campaign": campaign["id"]})
    connection = db.session.connection()
    if lead_updates:
        leads = Lead.__table__
        connection.execute(
            leads.update()
            .where(leads.c.id == sa.bindparam("lead_id"))
            .values(
                campaign_id=sa.bindparam("campaign"),
                utm_source=sa.bindparam("utm_source"),
                utm_medium=sa.bindparam("utm_medium"),
                utm_campaign=sa.bindparam("utm_campaign"),
            ),
            lead_updates,
        )
    if deal_updates:
        deals = Opportunity.__table__
        connection.execute(
            deals.update()
            .where(deals.c.id == sa.bindparam("deal_id"))
            .values(campaign_id=sa.bindparam("campaign")),
            deal_updates,
        )
    return len(lead_updates), len(deal_updates)


def _web_form(ctx: SeedContext, owner, campaigns, now) -> int:
    """The buyer's guide landing page, A/B testing two headlines: B converts better, by a
    margin the results panel calls significant."""
    from app.services import web_forms

    content = [c for c in campaigns if c["type"] == CampaignType.CONTENT.value]
    form = web_forms.create_form(
        owner,
        name="Buyer's guide download 採購指南下載",
        status="PUBLISHED",
        campaign_id=content[-1]["id"] if content else None,
        consent_text="Send me product news by email.",
        consent_text_zh="我願意收到產品電子報。",
    )
    scale = max(1, ctx.size["events"] // 3_000)
    a, b = ctx.rng.randint(1_100, 1_300) * scale, ctx.rng.randint(1_100, 1_300) * scale
    variant = db.session.scalars(sa.select(FormVariant).where(FormVariant.form_id == form.id)).one()
    variant.weight, variant.views, variant.submissions = 50, a, int(a * 0.08)
    variant.headline, variant.headline_zh = "The buyer's guide", "採購指南"
    db.session.add(
        FormVariant(
            form_id=form.id,
            name="B",
            weight=50,
            headline="Choose the right CRM in 20 minutes",
            headline_zh="20 分鐘選對 CRM",
            views=b,
            submissions=int(b * 0.115),
        )
    )
    db.session.flush()
    return 1


def _behaviour(ctx: SeedContext, campaigns, now) -> int:
    """Website visits, downloads and form submissions of known contacts and leads over the
    last three years, some arriving through a campaign's UTM-tagged link."""
    rng, total = ctx.rng, ctx.size["events"]
    contact_ids = db.session.scalars(sa.select(Contact.id).order_by(Contact.id)).all()
    lead_ids = db.session.scalars(sa.select(Lead.id).order_by(Lead.id)).all()
    if not contact_ids and not lead_ids:
        return 0
    kinds, weights = list(EVENT_WEIGHTS), list(EVENT_WEIGHTS.values())
    started = [c for c in campaigns if c["start_date"] <= now.date()]
    starts = [c["start_date"] for c in started]
    next_id, span, count = _next_id(MarketingEvent), YEARS * 365 * 86_400, 0

    def rows():
        for n in range(total):
            kind = rng.choices(kinds, weights)[0]
            when = now - timedelta(seconds=rng.randrange(span))
            on_lead = lead_ids and (not contact_ids or rng.random() < 0.4)
            person = rng.choice(lead_ids if on_lead else contact_ids)
            campaign = _running(started, starts, when) if rng.random() < 0.3 else None
            url = rng.choice(DOWNLOADS if kind is EventKind.DOWNLOAD else PAGES)
            detail = (
                {"utm_source": rng.choice(UTM_SOURCES), "utm_campaign": f"c{campaign['id']}"}
                if campaign
                else {}
            )
            yield _event(
                next_id + n,
                kind,
                when,
                None if on_lead else person,
                person if on_lead else None,
                campaign["id"] if campaign else None,
                url,
                detail,
            )

    count = _insert(MarketingEvent.__table__, rows())
    return count
