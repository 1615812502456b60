"""Quote PDFs: real glyphs for Chinese text, nothing fetched or read because of what a quote
says, the logo still drawn, and a stored PDF re-rendered only when the quote changed."""

import io
import os
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import path2url

from app.extensions import db
from app.services import pdf, quote_pdf, quotes
from app.services.pdf import PdfFetcher, ResourceRefused
from tests.factories import make_contact, make_customer, make_quote, make_user

LINES = [
    {"name": "雲端訂閱方案", "description": "每月 100 位使用者", "quantity": "2",
     "unit_price": "1500.00", "tax_rate": "5", "unit": "月"},
    {"name": "Onboarding", "quantity": "1", "unit_price": "800.00", "discount_percent": "10"},
]  # fmt: skip


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def rep():
    return make_user(name="Rita Rep")


@pytest.fixture
def recorder():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_chinese_names_are_real_text_in_the_pdf(rep):
    customer = make_customer(
        rep,
        name="台北貿易股份有限公司",
        addresses=[{"kind": "BILLING", "line1": "信義路五段7號", "city": "台北", "country": "TW"}],
    )
    contact = make_contact(rep, customer, first_name="小明", last_name="王", email="wang@x.tw")
    quote = make_quote(
        rep, customer, lines=LINES, contact_id=contact.id, terms="付款條件：30 天\nLine two"
    )

    text = _text(quote_pdf.render_pdf(quote))

    for expected in ("台北貿易股份有限公司", "雲端訂閱方案", "每月 100 位使用者", "信義路五段7號",
                     "付款條件", "Rapport Demo Ltd", quote.reference, "Onboarding"):  # fmt: skip
        assert expected in text
    assert "1 / 1" in text  # page numbers


def test_markup_in_a_quote_is_neither_read_nor_fetched(rep, recorder, monkeypatch):
    port, hits = recorder
    payload = (
        f'<img src="file:///etc/passwd"> <img src="http://127.0.0.1:{port}/x.png">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
    )
    quote = make_quote(
        rep,
        introduction=payload,
        lines=[{"name": "Line", "description": payload, "quantity": "1", "unit_price": "1"}],
    )
    fetched = []
    real_fetch = PdfFetcher.fetch
    monkeypatch.setattr(
        PdfFetcher,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or real_fetch(self, url, headers),
    )

    text = _text(quote_pdf.render_pdf(quote))

    assert hits == []
    # Escaped, the markup is text on the page; the only resources asked for are ours.
    assert "file:///etc/passwd" in text
    assert "root:" not in text
    assert all(url.startswith("file://") and "/static/pdf/" in url for url in fetched), fetched


def test_markup_that_escaped_escaping_would_still_be_refused(app, recorder):
    """Were user text ever inserted unescaped, the fetcher is the second wall."""
    port, hits = recorder
    fetcher = PdfFetcher(pdf.logo_path())
    html = (
        f'<p>x</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/x.png">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
        '<img src="../../../../etc/passwd"><style>@import url("/etc/passwd");</style>'
    )
    base_url = path2url(os.path.realpath(pdf.STATIC_FOLDER) + os.sep)

    data = HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()

    assert hits == [] and fetcher.served == []
    assert "root:" not in _text(data)
    assert f"http://127.0.0.1:{port}/x.png" in fetcher.refused
    assert f"http://127.0.0.1:{port}/s.css" in fetcher.refused
    assert "file:///etc/passwd" in fetcher.refused


def test_the_fetcher_refuses_everything_but_the_logo_and_static_pdf(app, recorder, tmp_path):
    port, hits = recorder
    fetcher = PdfFetcher(pdf.logo_path())
    static = os.path.realpath(pdf.STATIC_FOLDER)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    sneaky = os.path.join(static, "link-to-secret.css")
    denied = [
        "file:///etc/passwd",
        f"file://{static}/../../config.py",
        f"file://{static}/%2e%2e/%2e%2e/config.py",
        f"file://{outside}",
        f"file://evil.example{static}/quote.css",
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        "data:text/plain,hello",
        "ftp://127.0.0.1/x",
        "quote.css",
    ]
    os.symlink(outside, sneaky)
    try:
        denied.append(f"file://{sneaky}")
        for url in denied:
            with pytest.raises(ResourceRefused):
                fetcher.fetch(url)
    finally:
        os.remove(sneaky)
    assert hits == []
    assert fetcher.refused == denied

    logo = fetcher.fetch(f"file://{os.path.realpath(app.config['RAPPORT_COMPANY_LOGO'])}")
    assert logo.read().startswith(b"<svg") and logo.content_type == "image/svg+xml"
    css = fetcher.fetch(f"file://{static}/quote.css")
    assert b"Noto Sans CJK TC" in css.read()


def test_a_logo_outside_static_pdf_is_allowed_when_configured(app, rep, tmp_path, monkeypatch):
    logo = tmp_path / "brand.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    monkeypatch.setitem(app.config, "RAPPORT_COMPANY_LOGO", str(logo))
    fetcher = PdfFetcher(pdf.logo_path())

    quote_pdf.render_pdf(make_quote(rep), fetcher)

    assert str(logo) in fetcher.served and fetcher.refused == []


def test_ensure_pdf_renders_again_only_when_the_quote_changed(rep, monkeypatch):
    quote = make_quote(rep, lines=LINES)
    renders = []
    real_render = quote_pdf.render_pdf
    monkeypatch.setattr(quote_pdf, "render_pdf", lambda q: renders.append(q.id) or real_render(q))

    first = quote_pdf.ensure_pdf(quote)
    db.session.commit()
    assert os.path.isfile(first) and first == quote_pdf.pdf_path(quote)
    assert os.path.dirname(first).endswith(os.path.join("instance", "quotes")) or "quotes" in first
    assert quote.pdf_rendered_at >= quote.updated_at

    assert quote_pdf.ensure_pdf(quote) == first
    db.session.commit()
    assert len(renders) == 1

    quotes.update_quote(quote, rep, title="A new title")
    db.session.commit()
    second = quote_pdf.ensure_pdf(quote)
    db.session.commit()
    assert second != first and not os.path.exists(first)
    with open(second, "rb") as fh:
        assert "A new title" in _text(fh.read())
    assert len(renders) == 2

    os.remove(second)  # a lost file is made again
    third = quote_pdf.ensure_pdf(quote)
    assert os.path.isfile(third) and len(renders) == 3


def test_a_pdf_older_than_the_last_change_is_stale(rep):
    quote = make_quote(rep, lines=LINES)
    quote_pdf.ensure_pdf(quote)
    db.session.commit()
    assert quote_pdf.is_current(quote)
    quote.pdf_rendered_at = quote.updated_at - timedelta(seconds=1)
    assert not quote_pdf.is_current(quote)
