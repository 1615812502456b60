"""The HTML of marketing emails: sanitised with nh3 and an allowlist fit for email (no
scripts, frames, forms, event handlers or hx-* attributes; links and images over http,
https and mailto only; merge fields kept intact), and the plain-text part made from it."""

from __future__ import annotations

import html as html_lib
import re
import secrets

import nh3
from flask_babel import gettext

from app.services import merge_fields

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "center", "font",
}  # fmt: skip
_CELL = {"align", "valign", "width", "height", "colspan", "rowspan", "bgcolor", "style"}
ALLOWED_ATTRIBUTES = {
    "*": {"style", "align", "dir", "lang"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "border"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "role"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"valign", "bgcolor"},
    "font": {"color", "face", "size"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# A conservative set of CSS properties for inline styles (nh3 drops every other one).
STYLE_PROPERTIES = {
    "background-color", "border", "border-bottom", "border-collapse", "border-color",
    "border-left", "border-radius", "border-right", "border-style", "border-top",
    "border-width", "color", "display", "font-family", "font-size", "font-style",
    "font-weight", "height", "letter-spacing", "line-height", "margin", "margin-bottom",
    "margin-left", "margin-right", "margin-top", "max-width", "min-width", "padding",
    "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align",
    "text-decoration", "text-transform", "vertical-align", "white-space", "width",
}  # fmt: skip
# Style values that could load or run something, whatever the property.
_UNSAFE_STYLE = re.compile(r"url\s*\(|expression\s*\(|\\|@import|javascript:|behavior", re.I)
_URL_ATTRIBUTES = {"href", "src"}
_URL_FIELDS = {"unsubscribe_url", "preferences_url"}
_SAFE_URL_START = re.compile(r"^\s*(?:https?://|mailto:)", re.I)


def _placeholder_name(placeholder: str) -> str | None:
    """The field name of a well-formed, allowlisted placeholder (`{{ ... }}`), else None."""
    parsed = merge_fields.parse(placeholder)
    return parsed[0] if parsed else None


def _normalised_placeholder(placeholder: str) -> str:
    """A well-formed placeholder written so it is valid inside HTML text and double-quoted
    attributes: single quotes around the default, which is HTML-escaped."""
    name, default = merge_fields.parse(placeholder)
    if default is None:
        return "{{ " + name + " }}"
    shown = html_lib.escape(html_lib.unescape(default))
    return "{{ " + name + " | default('" + shown + "') }}"


# Parsing deeply nested blocks takes quadratic time, and no email nests more than a few
# dozen levels: deeper HTML is refused before it is parsed.
MAX_NESTING = 300
_TAG_START = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})")
_UNNESTED = {
    "area", "base", "br", "col", "dd", "dt", "embed", "hr", "img", "input", "li", "link",
    "meta", "option", "p", "param", "source", "tbody", "td", "tfoot", "th", "thead", "tr",
    "track", "wbr",
}  # fmt: skip


def nesting_depth(source: str) -> int:
    """About how deep the elements of `source` nest (tags that end themselves or close on
    their own, such as <br> or <li>, are not counted); one linear pass."""
    depth = deepest = 0
    for match in _TAG_START.finditer(source):
        if match.group(2).lower() in _UNNESTED:
            continue
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def sanitise_html(source: str) -> tuple[str, list[str]]:
    """`source` cleaned for email with its merge fields kept, and the problems to show its
    author (a merge field that would make a link or image address, for instance).

    The allowlisted placeholders are swapped for inert tokens while nh3 cleans the HTML
    (so quotes in a default do not break out of an attribute, and a placeholder that is
    a whole link address, `href="{{ unsubscribe_url }}"`, survives the URL checks), and
    put back afterwards. In href and src a merge field may only be a whole
    unsubscribe/preferences link or come after a literal http(s):// or mailto: start: a
    contact's name must never decide where a link goes.
    """
    if not source.strip():
        return "", []
    if nesting_depth(source) > MAX_NESTING:
        return "", [
            gettext(
                "The HTML nests elements more than %(max)d levels deep; simplify it.",
                max=MAX_NESTING,
            )
        ]
    nonce = secrets.token_hex(8)
    tokens: dict[str, str] = {}

    def protect(match: re.Match) -> str:
        placeholder = match.group(0)
        if _placeholder_name(placeholder) is None:
            return placeholder  # refused by merge_fields.problems; nh3 keeps it inert text
        # An absolute address, so it passes as a link on its own (relative ones are dropped).
        token = f"https://mergefield.invalid/{nonce}/{len(tokens)}/"
        tokens[token] = _normalised_placeholder(placeholder)
        return token

    token_pattern = re.compile(rf"https://mergefield\.invalid/{nonce}/\d+/")
    protected = merge_fields.PLACEHOLDER.sub(protect, source[: merge_fields.MAX_TEMPLATE_CHARS])
    found: list[str] = []

    def check_attribute(tag: str, attribute: str, value: str) -> str | None:
        if attribute.startswith("on") or attribute.startswith("hx-"):
            return None
        if attribute == "style" and _UNSAFE_STYLE.search(value):
            return None
        if attribute in _URL_ATTRIBUTES and token_pattern.search(value):
            address = value.strip()
            whole = tokens.get(address)
            if whole is not None:
                allowed = _placeholder_name(whole) in _URL_FIELDS
            else:
                allowed = not token_pattern.match(address) and bool(_SAFE_URL_START.match(address))
            if not allowed:
                found.append(
                    gettext(
                        "A merge field in a link or image address must be the whole "
                        "unsubscribe or preferences link, or follow https://, http:// "
                        "or mailto:."
                    )
                )
                return None
        return value

    cleaned = nh3.clean(
        protected,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title", "textarea", "select", "noscript"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=check_attribute,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        filter_style_properties=STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    restored = token_pattern.sub(lambda match: tokens.get(match.group(0), ""), cleaned)
    if len(restored) > merge_fields.MAX_TEMPLATE_CHARS:
        # Cleaning closes tags and escapes stray "<": the stored body must fit the limit.
        found.append(
            gettext(
                "Once cleaned the HTML is over %(max)d characters; shorten it.",
                max=merge_fields.MAX_TEMPLATE_CHARS,
            )
        )
    return restored, list(dict.fromkeys(found))


# --- Plain text from HTML --------------------------------------------------------------

_LINK = re.compile(
    # The label stops at the next <a or </a, so every "<a" is given up quickly.
    r"""<a\b[^<>]{0,2000}?\bhref="([^"<>]{0,2000})"[^<>]{0,2000}>"""
    r"""((?:[^<]|<(?!/?a\b)){0,5000}?)</a>""",
    re.I,
)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.I)
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|blockquote|table|ul|ol|center)\s*>", re.I)
_ROW_END = re.compile(r"</tr\s*>|<hr\s*/?>", re.I)
_LIST_ITEM = re.compile(r"<li\b[^<>]{0,2000}>", re.I)
_CELL_END = re.compile(r"</t[dh]\s*>", re.I)
# Linear: each "<" is given up at the next "<" or after 5000 characters.
_TAG = re.compile(r"<[^<>]{0,5000}>")


def html_to_text(markup: str) -> str:
    """A plain-text version of an email's HTML: paragraphs and line breaks kept, links as
    "text (url)", list items as "- item", everything else reduced to its text."""
    if not markup.strip():
        return ""

    def link(match: re.Match) -> str:
        url = html_lib.unescape(match.group(1)).strip()
        label = html_lib.unescape(_TAG.sub("", match.group(2))).strip()
        if not url or url == label or url in ("#",):
            return match.group(2)
        shown = url.removeprefix("mailto:") if url.startswith("mailto:") else url
        if label in (shown, ""):
            return html_lib.escape(shown)
        return f"{match.group(2)} ({html_lib.escape(shown)})"

    text = _LINK.sub(link, markup)
    text = _LINE_BREAK.sub("\n", text)
    text = _LIST_ITEM.sub("\n- ", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = _ROW_END.sub("\n", text)
    text = _CELL_END.sub(" ", text)
    # The HTML was sanitised when saved, so what is left between < and > is tags: drop them
    # (a regular expression, not a parser: block ends are gone, and the parser is slow on
    # the unclosed blocks that would leave).
    text = html_lib.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
