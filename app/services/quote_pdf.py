"""Quote PDFs: rendered by WeasyPrint from templates/pdf/quote.html and kept under random
names in instance/quotes, re-rendered when the quote changed after the last one.

The renderer loads nothing but the company logo and the files in static/pdf: its URL
fetcher (app.services.pdf.PdfFetcher) refuses every other URL, whatever a quote's text
contains.
"""

from __future__ import annotations

import os
import re
import secrets

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import get_locale
from sqlalchemy.orm.attributes import flag_modified
from weasyprint import HTML
from weasyprint.urls import path2url

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import AddressKind, Contact, Customer, CustomerAddress
from app.models.orders import Quote
from app.services import pdf

_NAME = re.compile(r"^[0-9a-f]{32}\.pdf$")


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
    logo = pdf.logo_path()
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


def render_pdf(quote: Quote, fetcher: pdf.PdfFetcher | None = None) -> bytes:
    """The quote as PDF bytes, in the current locale. Relative URLs resolve against
    static/pdf, and the fetcher refuses anything but the logo and that folder."""
    fetcher = fetcher or pdf.PdfFetcher(pdf.logo_path())
    document = HTML(string=render_html(quote), base_url=pdf.base_url(), url_fetcher=fetcher)
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
