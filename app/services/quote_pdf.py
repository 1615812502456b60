"""Quote PDFs: rendered by WeasyPrint from templates/pdf/quote.html and kept under random
names in instance/quotes, re-rendered when the quote changed after the last one.

The renderer loads nothing but the company logo and the files in static/pdf: its URL
fetcher refuses every other URL (network, data:, any other file), whatever a quote's text
contains, so a quote cannot make the server read its own files or call other hosts.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
from urllib.parse import urlsplit
from urllib.request import url2pathname

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import get_locale
from sqlalchemy.orm.attributes import flag_modified
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import AddressKind, Contact, Customer, CustomerAddress
from app.models.orders import Quote

STATIC_FOLDER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "pdf")
_NAME = re.compile(r"^[0-9a-f]{32}\.pdf$")


class ResourceRefused(ValueError):
    """The renderer asked for a URL outside the allowed files."""


class QuoteFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, deny by default: only `file:` URLs whose real path is the
    configured logo or lies under static/pdf are read; everything else raises (WeasyPrint
    then leaves the image or stylesheet out). `refused` lists what was turned down."""

    def __init__(self, logo_path: str | None = None):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.folder = os.path.realpath(STATIC_FOLDER)
        self.logo = os.path.realpath(logo_path) if logo_path else None
        self.refused: list[str] = []
        self.served: list[str] = []

    def allowed_path(self, url: str) -> str | None:
        """The real path `url` names when it is an allowed file, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = os.path.realpath(url2pathname(parts.path))
        if path == self.logo or os.path.commonpath([path, self.folder]) == self.folder:
            return path if os.path.isfile(path) else None
        return None

    def fetch(self, url, headers=None):
        path = self.allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise ResourceRefused(f"refused to load {url[:200]!r} while rendering a quote")
        self.served.append(path)
        with open(path, "rb") as fh:
            body = fh.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(path), body, {"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):
        # The urllib opener this class inherits must never be reached.
        return self.fetch(getattr(url, "full_url", url))


def logo_path() -> str | None:
    path = current_app.config.get("RAPPORT_COMPANY_LOGO")
    return path if path and os.path.isfile(path) else None


def _billing_address(customer: Customer) -> str:
    addresses = db.session.scalars(
        sa.select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer.id)
        .order_by(CustomerAddress.id)
    ).all()
    chosen = next((a for a in addresses if a.kind is AddressKind.BILLING), None)
    chosen = chosen or (addresses[0] if addresses else None)
    if chosen is None:
        return ""
    city = " ".join(part for part in (chosen.postal_code, chosen.city) if part)
    parts = [chosen.line1, chosen.line2, city, chosen.region, chosen.country]
    return "\n".join(part for part in parts if part)


def render_html(quote: Quote) -> str:
    """The HTML the PDF is made from (escaped like every template)."""
    config = current_app.config
    customer = db.session.get(Customer, quote.customer_id)
    contact = db.session.get(Contact, quote.contact_id) if quote.contact_id else None
    logo = logo_path()
    return render_template(
        "pdf/quote.html",
        quote=quote,
        customer=customer,
        contact=contact,
        billing_address=_billing_address(customer),
        company={
            "name": config.get("RAPPORT_COMPANY_NAME", ""),
            "address": config.get("RAPPORT_COMPANY_ADDRESS", ""),
        },
        logo_url=path2url(os.path.realpath(logo)) if logo else None,
        lang=str(get_locale() or "en").replace("_", "-"),
        now=utcnow(),
    )


def render_pdf(quote: Quote, fetcher: QuoteFetcher | None = None) -> bytes:
    """The quote as PDF bytes, in the current locale. Relative URLs resolve against
    static/pdf, and the fetcher refuses anything but the logo and that folder."""
    fetcher = fetcher or QuoteFetcher(logo_path())
    base_url = path2url(os.path.realpath(STATIC_FOLDER) + os.sep)
    document = HTML(string=render_html(quote), base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf()


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "quotes")
    os.makedirs(folder, exist_ok=True)
    return folder


def pdf_path(quote: Quote) -> str | None:
    """The stored PDF of `quote` (maybe stale), or None when there is none on disk."""
    name = quote.pdf_file
    if not name or not _NAME.match(name):
        return None
    path = os.path.join(_folder(), name)
    return path if os.path.isfile(path) else None


def is_current(quote: Quote) -> bool:
    """True when the stored PDF was made after the quote's last change."""
    return (
        pdf_path(quote) is not None
        and quote.pdf_rendered_at is not None
        and (quote.updated_at is None or quote.pdf_rendered_at >= quote.updated_at)
    )


def ensure_pdf(quote: Quote) -> str:
    """The path of an up-to-date PDF of `quote`, rendering and storing one when it is
    missing or older than the quote's last change (flushes; the caller commits)."""
    if is_current(quote):
        return pdf_path(quote)
    previous = pdf_path(quote)
    rendered_at = utcnow()
    data = render_pdf(quote)
    name = f"{secrets.token_hex(16)}.pdf"
    path = os.path.join(_folder(), name)
    partial = path + ".part"
    with open(partial, "wb") as fh:
        fh.write(data)
    os.replace(partial, path)
    quote.pdf_file = name
    quote.pdf_rendered_at = rendered_at
    # Storing the file is not an edit: keep updated_at as it was (no onupdate bump), or
    # the new PDF would look stale at once.
    flag_modified(quote, "updated_at")
    db.session.flush()
    if previous and previous != path:
        os.remove(previous)
    return path
