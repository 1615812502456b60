"""A person with data in every table that can hold theirs, and a bystander with data of their
own: what the erasure and personal-data export tests start from."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import (
    CampaignRecipient,
    ConsentChannel,
    ConsentRecord,
    EventKind,
    FormSubmission,
    MarketingEvent,
    RecipientStatus,
    SequenceEnrollment,
    WebVisitor,
)
from app.models.service import PortalUser, SurveyKind, SurveyResponse
from app.services import (
    contacts,
    custom_fields,
    email_preferences,
    lead_conversion,
    leads,
    tickets,
)
from tests.factories import (
    make_activity,
    make_contact,
    make_customer,
    make_lead,
    make_opportunity,
    make_order,
    make_product,
    make_quote,
    make_ticket,
    make_user,
)
from tests.marketing_factories import make_campaign, make_preference, make_sequence, make_web_form


@dataclasses.dataclass
class Subject:
    """One person's records and what identifies them."""

    contact_id: int
    lead_id: int
    customer_id: int
    ticket_id: int
    opportunity_id: int
    order_id: int
    campaign_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    mobile: str
    note: str
    comment_text: str

    @property
    def secrets(self) -> list[str]:
        """Every value that must be gone from the database after their erasure (numbers
        also as the SMS module stores them)."""
        from app.services.person_records import e164

        numbers = [e164(number) for number in (self.phone, self.mobile)]
        return [number for number in numbers if number] + [
            self.first_name,
            self.last_name,
            self.email,
            self.phone,
            self.mobile,
            self.note,
            self.comment_text,
            f"{self.first_name} {self.last_name}",
        ]


def _sms_rows(contact, mobile: str) -> None:
    try:
        from app.models.sms import SmsDirection, SmsMessage, SmsStatus
    except ImportError:  # the SMS module is optional
        return
    from app.models.sms import SmsPreference
    from app.services.person_records import e164

    number = e164(mobile) or mobile
    db.session.add(SmsPreference(phone=number, consent=True, consent_source="form"))
    db.session.add_all(
        [
            SmsMessage(
                direction=SmsDirection.OUT,
                to_number=number,
                from_number="+15550000000",
                body=f"Hi {contact.first_name}, your order shipped",
                status=SmsStatus.SENT,
                contact_id=contact.id,
            ),
            SmsMessage(
                direction=SmsDirection.IN,
                to_number="+15550000000",
                from_number=number,
                body="Thanks! Zorblatt here",
                status=SmsStatus.RECEIVED,
            ),
        ]
    )


def make_subject(
    owner,
    *,
    first="Quillon",
    last="Vantablack",
    email="quillon.v@example.org",
    phone="+1 555 010 4477",
    mobile="+1 555 010 9911",
    note="prefers calls after the lunar festival",
    comment_text="My serial is QX-4471-Vanta",
) -> Subject:
    """A person (a converted lead and its contact at their own private customer) with an
    activity, a ticket and their reply, a portal account, consent, campaign email and its
    events, a form submission, a tracked visit, a survey answer, a sequence, a quote, an
    order, a deal, SMS messages and a custom field value; changed once after creation, so
    the audit trail holds their old values too."""
    agent = make_user(Role.SUPPORT)
    field = custom_fields.define_field(make_user(Role.ADMIN), "contact", "Nickname", "text")
    customer = make_customer(owner, name=f"{first} {last}", email=email, phone=phone)
    lead = make_lead(
        owner,
        first_name=first,
        last_name=last,
        email=email,
        phone="+1 555 000 0000",
        company="Vantablack Studio",
        description=note,
    )
    leads.update_lead(lead, owner, phone=phone)  # the old phone stays in the audit trail
    contact = make_contact(
        owner,
        customer,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        mobile=mobile,
        title="Chief Dreamer",
        custom={field.key: "Q-bird"},
    )
    lead_conversion.convert_lead(lead, owner, customer_id=customer.id, contact_id=contact.id)
    contacts.update_contact(contact, owner, department="Skunkworks")
    make_activity(
        owner,
        "NOTE",
        contact_id=contact.id,
        customer_id=customer.id,
        subject=f"Call with {first}",
        description=note,
    )
    ticket = make_ticket(
        None,
        contact=contact,
        subject=f"Broken widget for {first} {last}",
        description=f"{comment_text}. Call me at {mobile}.",
    )
    tickets.add_comment(ticket, None, comment_text, by_contact=contact)
    tickets.add_comment(ticket, agent, f"Hello {first}, we are on it.")
    db.session.add(PortalUser(contact_id=contact.id, email=email, password_hash="x" * 20))
    email_preferences.grant_consent(
        email,
        source="form",
        ip="203.0.113.77",
        detail=f"signed up as {email}",
        contact_id=contact.id,
    )
    make_preference(email, bounce_reason=f"550 {email} mailbox full")
    campaign = make_campaign(owner, name="Spring news")
    visitor = f"v-{first.lower()}-1"
    db.session.add(
        CampaignRecipient(
            campaign_id=campaign.id,
            contact_id=contact.id,
            email=email,
            status=RecipientStatus.SENT,
            sent_at=utcnow(),
            opened_at=utcnow(),
            open_count=2,
        )
    )
    db.session.add_all(
        [
            MarketingEvent(
                kind=EventKind.EMAIL_OPEN, contact_id=contact.id, campaign_id=campaign.id
            ),
            MarketingEvent(
                kind=EventKind.VISIT,
                contact_id=contact.id,
                visitor_id=visitor,
                url=f"https://shop.example/p?email={email}",
                detail={
                    "utm_source": "news",
                    "referrer": f"https://mail/?to={email}",
                    "user_agent": "Quillon's browser",
                },
            ),
            WebVisitor(
                visitor_id=visitor,
                contact_id=contact.id,
                first_touch={"utm_source": "news", "url": f"https://shop.example/?e={email}"},
            ),
        ]
    )
    form = make_web_form(owner)
    db.session.add(
        FormSubmission(
            form_id=form.id,
            lead_id=lead.id,
            contact_id=contact.id,
            data={"email": email, "first_name": first, "message": note},
            utm_source="news",
            referrer="https://search.example/?q=quillon",
            page_url=f"https://site.example/f?email={email}",
            visitor_id=visitor,
            ip="203.0.113.77",
        )
    )
    db.session.add(
        SurveyResponse(
            kind=SurveyKind.CSAT,
            contact_id=contact.id,
            ticket_id=ticket.id,
            answered_at=utcnow(),
            score=4,
            comment=f"{first} liked it",
        )
    )
    sequence = make_sequence(owner, entity="CONTACT")
    db.session.add(
        SequenceEnrollment(
            sequence_id=sequence.id,
            contact_id=contact.id,
            email=email,
            next_run_at=utcnow() + timedelta(days=1),
        )
    )
    _sms_rows(contact, mobile)
    db.session.add(
        ConsentRecord(
            email=email,
            channel=ConsentChannel.EMAIL,
            granted=False,
            source="unsubscribe_link",
            ip="203.0.113.78",
        )
    )
    db.session.commit()
    deal = make_opportunity(
        owner,
        customer,
        name=f"{last} renewal",
        contact_id=contact.id,
        amount=Decimal("12500.00"),
        currency="USD",
    )
    product = make_product()
    make_quote(
        owner,
        customer,
        contact_id=contact.id,
        title=f"Offer for {first}",
        lines=[{"product_id": product.id, "quantity": Decimal("2")}],
    )
    order = make_order(
        owner,
        customer,
        contact_id=contact.id,
        notes=f"Deliver to {first}",
        lines=[{"product_id": product.id, "quantity": Decimal("3")}],
    )
    db.session.commit()
    return Subject(
        contact_id=contact.id,
        lead_id=lead.id,
        customer_id=customer.id,
        ticket_id=ticket.id,
        opportunity_id=deal.id,
        order_id=order.id,
        campaign_id=campaign.id,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        mobile=mobile,
        note=note,
        comment_text=comment_text,
    )
