"""Reading a received email: who sent it, its text (HTML turned into plain text, never
kept as HTML), the message ids it answers, its attachments, and the signs that a machine
sent it (auto-replies, bounces, lists) so that nobody answers it. Knows nothing of tickets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# Where a customer's answer ends and the quoted conversation begins: our own marker first,
# then the usual "On ... wrote:" line and Outlook's header block.
REPLY_MARKER = "##- Please type your reply above this line -##"
_QUOTE_STARTS = (
    re.compile(r"^[>\s]*" + re.escape(REPLY_MARKER), re.MULTILINE),
    re.compile(r"^On .{5,200} wrote:\s*$", re.MULTILINE),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^From: .+\n(Sent|Date): .+$", re.MULTILINE),
)
_MACHINE_SENDERS = ("mailer-daemon", "postmaster")
_BULK_PRECEDENCE = ("bulk", "junk", "list")
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class MailUnreadable(ValueError):
    """The input is not an email we can take in (no headers, no sender address)."""


@dataclasses.dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclasses.dataclass
class ReceivedMail:
    message_id: str
    sender: str  # the From address, lower-cased
    sender_name: str
    subject: str
    text: str
    recipients: list[str]  # To, Cc, Delivered-To, X-Original-To addresses, lower-cased
    answers: list[str]  # In-Reply-To and References message ids
    attachments: list[Attachment]
    machine_reason: str  # why it looks automatic ("" for a person's mail)
    rapport_ticket: str  # our X-Rapport-Ticket header, when the mail came from us


def read(raw: bytes) -> ReceivedMail:
    """Parse `raw` (RFC 5322 bytes); MailUnreadable when it has no sender address."""
    if not raw or not raw.strip():
        raise MailUnreadable("the message is empty")
    message = message_from_bytes(raw, policy=policy.default)
    if not message.keys():
        raise MailUnreadable("the message has no headers")
    name, address = parseaddr(_header(message, "From"))
    if "@" not in address:
        raise MailUnreadable("the message has no sender (From) address")
    message_id = _header(message, "Message-ID").strip()
    found = _MESSAGE_ID.search(message_id)
    if found:
        message_id = found.group(0)
    else:  # no id: one made from the content, so a second delivery is still recognised
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@missing-id.rapport>"
    recipients = [
        addr.lower()
        for _, addr in getaddresses(
            [_header(message, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
        )
        if "@" in addr
    ]
    answers = _MESSAGE_ID.findall(
        _header(message, "In-Reply-To") + " " + _header(message, "References")
    )
    body_part, text = _body(message)
    return ReceivedMail(
        message_id=message_id[:255],
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(_header(message, "Subject").split()),
        text=_without_quote(text),
        recipients=recipients,
        answers=answers,
        attachments=_attachments(message, body_part),
        machine_reason=_machine_reason(message, address),
        rapport_ticket=_header(message, "X-Rapport-Ticket").strip(),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        values = message.get_all(name) or []
        return ", ".join(str(value) for value in values)
    except (ValueError, TypeError, IndexError):  # a header the parser cannot decode
        return ", ".join(str(v) for v in message._headers if v[0].lower() == name.lower())


def _machine_reason(message: EmailMessage, sender: str) -> str:
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto-submitted"
    if _header(message, "Precedence").strip().lower() in _BULK_PRECEDENCE:
        return "precedence"
    if any(message.get(name) is not None for name in _AUTOREPLY_HEADERS):
        return "autoreply"
    return_path = _header(message, "Return-Path").strip()
    if message.get("Return-Path") is not None and return_path in ("", "<>"):
        return "bounce"
    for address in (parseaddr(return_path)[1], sender):
        if address.split("@")[0].lower() in _MACHINE_SENDERS:
            return "bounce"
    if message.get_content_type() == "multipart/report":
        return "bounce"
    return ""


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown or wrong charset
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _body(message: EmailMessage) -> tuple[EmailMessage | None, str]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None, ""
    content = _decoded(part)
    if not isinstance(content, str):
        return part, ""
    if part.get_content_subtype() == "html":
        return part, html_to_text(content)
    return part, content.replace("\r\n", "\n").strip()


def _without_quote(text: str) -> str:
    cut = len(text)
    for pattern in _QUOTE_STARTS:
        found = pattern.search(text)
        if found and found.start() > 0:
            cut = min(cut, found.start())
    answer = text[:cut].rstrip()
    return answer or text


def _attachments(message: EmailMessage, body_part) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part is body_part or part.is_multipart():
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue
        data = part.get_payload(decode=True) or b""
        name = (filename or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255]
        found.append(Attachment(name or "attachment", part.get_content_type(), data))
    return found


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
           "pre", "table", "ul", "ol", "hr"}  # fmt: skip
_SKIPPED = {"script", "style", "head", "title", "template"}


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail: tags, scripts and styles dropped, entities
    decoded, blank lines collapsed. The result is plain text (escaped when shown)."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
