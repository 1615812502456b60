"""Merge fields in marketing emails: `{{ contact.first_name | default("there") }}`.

User-written text is never compiled by a template engine (Jinja's sandbox has been escaped
more than once). A placeholder is one of an allowlisted set of names with an optional
literal default; one bounded regular-expression pass replaces each with its value, which
is inserted literally (HTML-escaped in HTML parts) and never scanned again. Anything else
between braces, and any `{% ... %}` block, is refused when a template is saved, and left
as inert text if it ever reaches a send.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MAX_TEMPLATE_CHARS = 200_000
MAX_DEFAULT_CHARS = 200

# The placeholders a template may use, with what each means to the person writing one.
FIELDS: dict[str, str] = {
    "contact.first_name": _l("First name"),
    "contact.last_name": _l("Last name"),
    "contact.full_name": _l("Full name"),
    "contact.email": _l("Email address"),
    "contact.title": _l("Job title"),
    "company.name": _l("Company name"),
    "sender.name": _l("Sender's name"),
    "campaign.name": _l("Campaign name"),
    "unsubscribe_url": _l("Unsubscribe link"),
    "preferences_url": _l("Email preferences link"),
}

MAX_PROBLEMS = 5

# Bounded and linear: a placeholder body is at most 300 characters and holds no brace, so
# each "{{" is given up at the next brace and no input makes this slow.
_PLACEHOLDER = re.compile(r"\{\{([^{}]{0,300})\}\}")
PLACEHOLDER = _PLACEHOLDER  # for code that walks the placeholders of a text
_BODY = re.compile(
    r"""^\s*(?P<name>[a-z_]+(?:\.[a-z_]+)?)\s*"""
    r"""(?:\|\s*default\(\s*(?P<quote>["'])(?P<default>[^"'{}]{0,"""
    + str(MAX_DEFAULT_CHARS)
    + r"""})(?P=quote)\s*\)\s*)?$"""
)
_BLOCK = re.compile(r"\{%|%\}|\{#|#\}")


def problems(text: str) -> list[str]:
    """What is wrong with the merge fields of `text`, as messages for its author (none when
    the text may be saved)."""
    if len(text) > MAX_TEMPLATE_CHARS:
        return [_("Keep it under %(count)d characters.", count=MAX_TEMPLATE_CHARS)]
    found: list[str] = []
    if _BLOCK.search(text):
        found.append(
            _(
                "Template tags such as %(tag)s are not supported; use merge fields only.",
                tag="{% … %}",
            )
        )
    # One message per distinct mistake, and at most MAX_PROBLEMS of them: a long broken
    # text is not turned into thousands of messages (or thousands of translations).
    wrong: dict[tuple[str, str], str] = {}
    for match in _PLACEHOLDER.finditer(text):
        if len(wrong) >= MAX_PROBLEMS:
            break
        body = _BODY.match(match.group(1))
        if body is None:
            key = ("form", match.group(0)[:80])
        elif body.group("name") not in FIELDS:
            key = ("name", body.group("name"))
        else:
            continue
        if key in wrong:
            continue
        if key[0] == "form":
            wrong[key] = _(
                "“%(field)s” is not a merge field. Write {{ name }} or "
                '{{ name | default("text") }}.',
                field=key[1],
            )
        else:
            wrong[key] = _(
                "Unknown merge field “%(name)s”. Use one of: %(names)s.",
                name=key[1],
                names=", ".join(FIELDS),
            )
    found.extend(wrong.values())
    remainder = _PLACEHOLDER.sub("", text)
    if "{{" in remainder or "}}" in remainder:
        found.append(_("A merge field is not closed: every {{ needs its }}."))
    return found


def parse(placeholder: str) -> tuple[str, str | None] | None:
    """(field name, default or None) of one whole `{{ ... }}` placeholder when it is
    well-formed and its field allowlisted; None otherwise."""
    match = _PLACEHOLDER.fullmatch(placeholder)
    body = _BODY.match(match.group(1)) if match else None
    if body is None or body.group("name") not in FIELDS:
        return None
    return body.group("name"), body.group("default")


def substitute(text: str, values: Mapping[str, str], *, html_part: bool = False) -> str:
    """`text` with each allowlisted placeholder replaced by its value (or its default when
    the value is empty); values go in literally, HTML-escaped in an HTML part, and are
    never scanned again. In an HTML part the default is template HTML text: it is read as
    HTML (so `&amp;` stays one ampersand) and escaped again, so it cannot add markup."""
    escape: Callable[[str], str] = html.escape if html_part else str

    def replace(match: re.Match) -> str:
        body = _BODY.match(match.group(1))
        if body is None or body.group("name") not in FIELDS:
            return escape(match.group(0)) if html_part else match.group(0)
        value = str(values.get(body.group("name")) or "")
        if value:
            return escape(value)
        default = body.group("default") or ""
        return escape(html.unescape(default)) if html_part else default

    return _PLACEHOLDER.sub(replace, text[:MAX_TEMPLATE_CHARS])


def person_values(
    *,
    first_name: str = "",
    last_name: str = "",
    full_name: str = "",
    email: str = "",
    title: str = "",
    company: str = "",
) -> dict[str, str]:
    """The contact.* and company.* values of one recipient (a contact or a lead)."""
    return {
        "contact.first_name": first_name,
        "contact.last_name": last_name,
        "contact.full_name": full_name,
        "contact.email": email,
        "contact.title": title,
        "company.name": company,
    }
