"""The SMS side of a campaign batch: what app.services.campaign_outbox.run hands a claimed
batch of an SMS campaign's rows to (its `_Delivery` does the same for email).

A row is marked SENDING (committed) just before the provider is asked, and SENT with the
provider's id, plus its line in the message log, in one commit as soon as it answered.
A kill in between leaves a SENDING row, taken back as UNKNOWN (never texted twice). The
provider refusing the number (Twilio's 4xx) fails the row; the provider being down, or
refusing our credentials, puts the row back in the queue (given up after a few tries) and
stops the batch; no answer at all makes the row UNKNOWN. Opt-outs are checked again just
before each chunk goes out, and a STOP reported by the provider (21610) is recorded."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models.base import person_name, utcnow
from app.models.customers import Contact, Customer
from app.models.marketing import Campaign, CampaignRecipient, RecipientStatus
from app.models.sales import Lead
from app.models.sms import SmsDirection, SmsMessage, SmsStatus
from app.services import campaign_outbox, merge_fields
from app.services.sms import preferences, providers
from app.services.sms.providers import SmsError

RATE_KEY = "rapport:sms-rate:"
_table = CampaignRecipient.__table__
_campaigns = Campaign.__table__


def render(body: str, values: dict, campaign_name: str) -> str:
    """The text one recipient gets: merge fields filled in, and how to opt out added
    when the text does not say it already."""
    company = current_app.config.get("RAPPORT_COMPANY_NAME", "")
    values = values | {"campaign.name": campaign_name, "sender.name": company}
    text = merge_fields.substitute(body, values).strip()
    if "STOP" not in text.upper():
        text = f"{text} {_('Reply STOP to opt out.')}"
    return text


def sample_values(actor) -> dict:
    """Merge values for a test message to a colleague."""
    name = getattr(actor, "name", "") or ""
    first, _space, last = name.partition(" ")
    return merge_fields.person_values(
        first_name=first, last_name=last, full_name=name, email=getattr(actor, "email", "")
    )


def people_values(rows) -> dict[int, dict]:
    """Merge values of each recipient row (by id), in two queries."""
    contact_ids = {row.contact_id for row in rows if row.contact_id}
    lead_ids = {row.lead_id for row in rows if row.lead_id and not row.contact_id}
    people: dict[tuple[str, int], object] = {}
    if contact_ids:
        for person in db.session.execute(
            sa.select(
                Contact.id, Contact.first_name, Contact.last_name, Contact.title, Contact.email,
                Customer.name.label("company"),
            )
            .outerjoin(Customer, Customer.id == Contact.customer_id)
            .where(Contact.id.in_(contact_ids))
        ):  # fmt: skip
            people[("contact", person.id)] = person
    if lead_ids:
        for person in db.session.execute(
            sa.select(
                Lead.id, Lead.first_name, Lead.last_name, Lead.title, Lead.email, Lead.company
            ).where(Lead.id.in_(lead_ids))
        ):
            people[("lead", person.id)] = person
    result = {}
    for row in rows:
        person = people.get(("contact", row.contact_id)) or people.get(("lead", row.lead_id))
        if person is None:
            result[row.id] = merge_fields.person_values()
            continue
        result[row.id] = merge_fields.person_values(
            first_name=person.first_name,
            last_name=person.last_name,
            full_name=person_name(person.first_name, person.last_name),
            email=person.email or "",
            title=person.title,
            company=person.company or "",
        )
    return result


class SmsDelivery(campaign_outbox.ClaimedBatch):
    """Texts one claimed batch of an SMS campaign. Rows are written through one
    connection of its own, held for the batch (as the email delivery does)."""

    def __init__(self, campaign, claim: str, rate: int, stack, outcome):
        super().__init__(campaign, claim, rate, stack, outcome)
        self.campaign_name = campaign.name
        self.body = campaign.sms_body or ""
        self.sender = providers.sender()
        self.callback = providers.status_callback_url()
        self.provider_name = providers.provider_name()
        self.setup_error: SmsError | None = None
        try:
            self.provider = providers.provider()
        except SmsError as error:  # misconfigured: the rows wait, the worker lives
            self.provider, self.setup_error = None, error

    def send_all(self, rows) -> bool:
        """Text every row; True when the batch stopped early (its rest released)."""
        if self.setup_error is not None:
            for row in rows:
                self._defer(row, self.setup_error)
            return self._stop()
        values = people_values(rows)
        for start in range(0, len(rows), campaign_outbox.CHECK_EVERY):
            chunk = rows[start : start + campaign_outbox.CHECK_EVERY]
            if start and self._stopping():
                return self._stop()
            blocked = preferences.suppressed([row.email for row in chunk])
            db.session.commit()  # end the session's read; the batch writes on self.outbox
            for row in chunk:
                if row.email in blocked:
                    self._result(row.id, RecipientStatus.SKIPPED, skip_reason=blocked[row.email])
                    self.outcome.skipped += 1
                    continue
                text = render(self.body, values[row.id], self.campaign_name)
                if not campaign_outbox.acquire_slot(self.rate, self._stopping, key=RATE_KEY):
                    return self._stop()
                if not self._deliver(row, text):
                    return self._stop()
        self._commit()
        return False

    def _deliver(self, row, text: str) -> bool:
        """One message; False when the provider is unusable (stop the batch)."""
        if not self._mark_sending(row.id):
            return True  # taken back meanwhile (this batch outlived its lease)
        try:
            provider_id = self.provider.send(row.email, text, self.sender, self.callback)
        except SmsError as error:
            return self._refused(row, text, error)
        now = utcnow()
        self.outbox.execute(
            sa.update(_table)
            .where(_table.c.id == row.id, _table.c.claimed_by == self.claim)
            .values(
                status=RecipientStatus.SENT.value,
                sent_at=now,
                message_id=provider_id[:255],
                error="",
            )
        )
        self._log(row, text, SmsStatus.SENT, provider_id=provider_id[:64], sent_at=now)
        self.outbox.commit()
        self.outcome.sent += 1
        return True

    def _refused(self, row, text: str, error: SmsError) -> bool:
        if error.ambiguous:
            self._result(row.id, RecipientStatus.UNKNOWN, error=str(error))
            self._log(row, text, SmsStatus.SENDING, error=str(error))
            self.outcome.unknown += 1
            self._commit()
            return True
        if error.retryable or error.configuration:
            self._defer(row, error)
            return False
        self._result(row.id, RecipientStatus.FAILED, error=str(error))
        self._log(row, text, SmsStatus.FAILED, error=str(error), error_code=error.code[:20])
        self._commit()
        self.outcome.failed += 1
        if error.code in providers.UNSUBSCRIBED_CODES:
            preferences.opt_out(
                row.email,
                source="provider",
                detail=str(error),
                people=(row.contact_id, row.lead_id),
            )
            db.session.commit()
        return True

    def _defer(self, row, error: SmsError) -> None:
        """Back to the queue after a temporary failure (given up after a few)."""
        if campaign_outbox.temporary_failure(row.id):
            self._result(
                row.id, RecipientStatus.QUEUED, claimed_by="", claimed_at=utcnow(), error=str(error)
            )
            self.outcome.deferred += 1
        else:
            self._result(row.id, RecipientStatus.FAILED, error=str(error))
            self.outcome.failed += 1

    def _log(self, row, text: str, status: SmsStatus, **values) -> None:
        self._flush()
        self.outbox.execute(
            sa.insert(SmsMessage.__table__).values(
                direction=SmsDirection.OUT.value,
                to_number=row.email,
                from_number=self.sender[:40],
                body=text,
                status=status.value,
                provider=self.provider_name,
                campaign_id=self.campaign_id,
                campaign_recipient_id=row.id,
                contact_id=row.contact_id,
                lead_id=row.lead_id,
                created_at=utcnow(),
                updated_at=utcnow(),
                **values,
            )
        )
