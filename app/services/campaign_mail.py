"""The messages of a campaign send: one per recipient, in the recipient's language, with
their merge values, tracked links, an open pixel, an unsubscribe footer when the template
has none, and the one-click List-Unsubscribe headers (RFC 8058).

Building a message costs as much as sending it (PERFORMANCE.md), so a `CampaignMail` is
made once per batch and loads the people of a chunk of recipients in a few queries
(`people`), then `build` does only string work for each message."""

from __future__ import annotations

import binascii
import dataclasses
import html
import os
import re
from collections.abc import Iterable
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models.base import person_name
from app.models.customers import Contact, Customer
from app.models.marketing import Campaign, EmailPreference, EmailTemplate
from app.models.sales import Lead
from app.models.service import PortalUser
from app.services import email_templates, merge_fields, tracking_tokens

# Opening tags of links with a double- or single-quoted href; bounded and linear.
_LINK = re.compile(r"""(<a\b[^>]{0,2000}?\bhref\s*=\s*)(["'])([^"'<>]{0,4000})\2""", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)
_TEMPLATE_FIELDS = (
    "id",
    "name",
    "sender_name",
    "subject",
    "html_body",
    "text_body",
    "sender_name_zh",
    "subject_zh",
    "html_body_zh",
    "text_body_zh",
)


@dataclasses.dataclass(frozen=True)
class Person:
    """What a message needs to know about its recipient."""

    values: dict[str, str]
    locale: str
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One message ready for SMTP: envelope addresses and the bytes of the message."""

    message_id: str
    sender: str
    to: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class RecipientRef:
    """A recipient row as the builder sees it (ids and address only)."""

    id: int
    email: str
    contact_id: int | None = None
    lead_id: int | None = None


def mail_domain() -> str:
    """The domain of campaign Message-IDs: RAPPORT_MAIL_DOMAIN, else the sender's."""
    config = current_app.config
    domain = config.get("RAPPORT_MAIL_DOMAIN") or ""
    if not domain:
        domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    return domain or "rapport.local"


def message_id(campaign_id: int, recipient_id: int) -> str:
    """Deterministic, so a message sent twice would show as the same message everywhere."""
    return f"<campaign-{campaign_id}.recipient-{recipient_id}@{mail_domain()}>"


def _default_locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class CampaignMail:
    """Builds the messages of one campaign (made once per batch of recipients)."""

    def __init__(self, campaign: Campaign, template: EmailTemplate):
        config = current_app.config
        # Plain copies: the batch commits after every message, which would otherwise make
        # the ORM reload these objects for each one.
        self.template = SimpleNamespace(**{f: getattr(template, f) for f in _TEMPLATE_FIELDS})
        self.campaign_id = campaign.id
        self.campaign_name = campaign.name
        self.from_address = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
        self.company = config.get("RAPPORT_COMPANY_NAME", "")
        self.domain = mail_domain()
        self.languages = config["LANGUAGES"]

    def people(self, rows: Iterable[RecipientRef]) -> dict[int, Person]:
        """Merge values and language of every recipient of `rows`, in four queries."""
        rows = list(rows)
        emails = {row.email for row in rows}
        contact_ids = {row.contact_id for row in rows if row.contact_id}
        lead_ids = {row.lead_id for row in rows if row.lead_id and not row.contact_id}
        locales = (
            dict(
                db.session.execute(
                    sa.select(EmailPreference.email, EmailPreference.locale).where(
                        EmailPreference.email.in_(emails), EmailPreference.locale != ""
                    )
                ).all()
            )
            if emails
            else {}
        )
        contacts = {}
        portal_locales = {}
        if contact_ids:
            contacts = {
                row.id: row
                for row in db.session.execute(
                    sa.select(
                        Contact.id,
                        Contact.first_name,
                        Contact.last_name,
                        Contact.title,
                        Customer.name.label("company"),
                    )
                    .outerjoin(Customer, Customer.id == Contact.customer_id)
                    .where(Contact.id.in_(contact_ids))
                )
            }
            portal_locales = dict(
                db.session.execute(
                    sa.select(PortalUser.contact_id, PortalUser.locale).where(
                        PortalUser.contact_id.in_(contact_ids)
                    )
                ).all()
            )
        leads = {}
        if lead_ids:
            leads = {
                row.id: row
                for row in db.session.execute(
                    sa.select(
                        Lead.id, Lead.first_name, Lead.last_name, Lead.title, Lead.company
                    ).where(Lead.id.in_(lead_ids))
                )
            }
        result = {}
        for row in rows:
            person = contacts.get(row.contact_id) or leads.get(row.lead_id)
            locale = locales.get(row.email) or portal_locales.get(row.contact_id) or ""
            if locale not in self.languages:
                locale = _default_locale()
            if person is None:
                values = merge_fields.person_values(email=row.email)
                name = ""
            else:
                name = person_name(person.first_name, person.last_name)
                values = merge_fields.person_values(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    full_name=name,
                    email=row.email,
                    title=person.title,
                    company=person.company or "",
                )
            result[row.id] = Person(values=values, locale=locale, name=name)
        return result

    def build(self, recipient: RecipientRef, person: Person) -> Outgoing:
        """The message for one recipient row, tracked and with its unsubscribe links."""
        unsubscribe_url = url_for(
            "public.mail_unsubscribe",
            token=tracking_tokens.unsubscribe_token(recipient.id),
            _external=True,
        )
        preferences_url = url_for(
            "public.mail_preferences",
            token=tracking_tokens.preferences_token(recipient.email),
            _external=True,
        )
        open_url = url_for(
            "public.mail_open", token=tracking_tokens.open_token(recipient.id), _external=True
        )
        rendered = self._render(person, unsubscribe_url, preferences_url)
        keep = {unsubscribe_url, preferences_url}

        def track(url: str) -> str:
            return url_for(
                "public.mail_click",
                token=tracking_tokens.click_token(recipient.id, url),
                _external=True,
            )

        body = ""
        if rendered.html:
            body = _tracked_links(rendered.html, track, keep)
            body = _with_footer(body, unsubscribe_url, preferences_url, person.locale)
            pixel = (
                f'<img src="{html.escape(open_url)}" width="1" height="1" alt="" '
                'style="display:block;border:0;width:1px;height:1px">'
            )
            body = _append_to_body(body, pixel)
        text = _text_with_footer(rendered.text, unsubscribe_url, preferences_url, person.locale)
        return self._message(
            rendered,
            to=(person.name, recipient.email),
            text=text,
            html_body=body,
            message_id=f"<campaign-{self.campaign_id}.recipient-{recipient.id}@{self.domain}>",
            extra=(
                ("List-Unsubscribe", f"<{unsubscribe_url}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ),
        )

    def test_message(self, actor, *, to: str | None = None) -> Outgoing:
        """The message as `actor` would get it, sent to them: their own name and address as
        merge values, "[Test]" before the subject, links untracked (no recipient row)."""
        email = (to or actor.email).strip().lower()
        first, _space, last = (actor.name or "").partition(" ")
        locale = actor.locale if actor.locale in self.languages else _default_locale()
        values = merge_fields.person_values(
            first_name=first, last_name=last, full_name=actor.name or "", email=email
        )
        preferences_url = url_for(
            "public.mail_preferences",
            token=tracking_tokens.preferences_token(email),
            _external=True,
        )
        person = Person(values=values, locale=locale, name=actor.name or "")
        rendered = self._render(person, preferences_url, preferences_url)
        body = ""
        if rendered.html:
            body = _with_footer(rendered.html, preferences_url, preferences_url, locale)
        text = _text_with_footer(rendered.text, preferences_url, preferences_url, locale)
        rendered = dataclasses.replace(rendered, subject=f"[Test] {rendered.subject}")
        return self._message(
            rendered,
            to=(person.name, email),
            text=text,
            html_body=body,
            message_id=f"<campaign-{self.campaign_id}.test-{actor.id}@{self.domain}>",
        )

    def _render(self, person: Person, unsubscribe_url: str, preferences_url: str):
        values = dict(person.values)
        values["sender.name"] = self._sender_name(person.locale)
        values["campaign.name"] = self.campaign_name
        values["unsubscribe_url"] = unsubscribe_url
        values["preferences_url"] = preferences_url
        return email_templates.render(self.template, person.locale, values)

    def _sender_name(self, locale: str) -> str:
        return email_templates.part(self.template, "sender_name", locale) or self.company

    def _message(
        self, rendered, *, to: tuple[str, str], text: str, html_body: str, message_id: str, extra=()
    ) -> Outgoing:
        sender_name = rendered.sender_name or self.company
        headers = [
            ("From", formataddr((_one_line(sender_name), self.from_address), "utf-8")),
            ("To", formataddr((_one_line(to[0]), _one_line(to[1])), "utf-8")),
            ("Subject", _encoded(_one_line(rendered.subject))),
            ("Date", formatdate(localtime=False, usegmt=True)),
            ("Message-ID", message_id),
            ("Precedence", "bulk"),
            ("X-Rapport-Campaign", str(self.campaign_id)),
            *extra,
            ("MIME-Version", "1.0"),
        ]
        return Outgoing(message_id, self.from_address, to[1], _mime(headers, text, html_body))


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _encoded(value: str) -> str:
    """A header value, as RFC 2047 encoded words when it is not plain ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _part(content_type: str, body: str) -> bytes:
    # quoted-printable in C (binascii); CRLF only on the wire
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + encoded.replace(b"\n", b"\r\n")


def _mime(headers: list[tuple[str, str]], text: str, html_body: str) -> bytes:
    """The message's bytes, written directly (the email package's generator costs more than
    building the rest of the message). Header values are single lines by construction."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if not html_body:
        return head.encode() + _part("text/plain", text or " ")
    boundary = f"=_rapport_{os.urandom(12).hex()}"
    return b"".join(
        [
            head.encode(),
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
            f"--{boundary}\r\n".encode(),
            _part("text/plain", text or " "),
            f"\r\n--{boundary}\r\n".encode(),
            _part("text/html", html_body),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )


def _tracked_links(body: str, track, keep: set[str]) -> str:
    """`body` with each http(s) link replaced by its click-tracking URL (mailto:, anchors
    and the unsubscribe and preferences links stay as they are)."""

    def replace(match: re.Match) -> str:
        url = html.unescape(match.group(3)).strip()
        if not url.lower().startswith(("http://", "https://")) or url in keep:
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{html.escape(track(url))}{quote}"

    return _LINK.sub(replace, body)


def _append_to_body(body: str, snippet: str) -> str:
    matches = list(_BODY_END.finditer(body))
    if not matches:
        return body + snippet
    at = matches[-1].start()
    return body[:at] + snippet + body[at:]


def _with_footer(body: str, unsubscribe_url: str, preferences_url: str, locale: str) -> str:
    """The HTML part with an unsubscribe footer when the template did not link to it."""
    if html.escape(unsubscribe_url) in body or unsubscribe_url in body:
        return body
    with force_locale(locale):
        footer = (
            '<p style="font-size:12px;color:#666">'
            f'<a href="{html.escape(unsubscribe_url)}">{html.escape(_("Unsubscribe"))}</a>'
            " · "
            f'<a href="{html.escape(preferences_url)}">'
            f"{html.escape(_('Email preferences'))}</a></p>"
        )
    return _append_to_body(body, footer)


def _text_with_footer(text: str, unsubscribe_url: str, preferences_url: str, locale: str) -> str:
    if unsubscribe_url in text:
        return text
    with force_locale(locale):
        return (
            f"{text.rstrip()}\n\n-- \n{_('Unsubscribe')}: {unsubscribe_url}\n"
            f"{_('Email preferences')}: {preferences_url}\n"
        )
