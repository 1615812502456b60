"""A rep has a quote's PDF made and sends the quote by email, both as background jobs."""

import io

import pytest
from pypdf import PdfReader

from app import queues
from app.extensions import db
from app.jobs import quotes as quote_jobs
from app.models.orders import Quote, QuoteStatus
from app.services import quote_pdf, quotes
from tests.factories import make_contact, make_customer, make_quote, make_user

LINES = [{"name": "顧問服務", "quantity": "2", "unit_price": "500.00", "tax_rate": "5"}]


@pytest.fixture
def rep():
    return make_user(name="Rita Rep")


@pytest.fixture
def quote(rep):
    customer = make_customer(rep, name="Acme 股份有限公司")
    contact = make_contact(rep, customer, first_name="Lin", last_name="Wu", email="lin@acme.tw")
    return make_quote(rep, customer, lines=LINES, contact_id=contact.id, title="Consulting")


def _enqueue(func, *args, actor, queue_name):
    return queues.enqueue(func, *args, actor=actor, title="t", queue_name=queue_name)


def test_the_render_job_stores_the_pdf_and_links_to_it(rep, quote, worker):
    job = _enqueue(quote_jobs.render_quote_pdf, quote.id, actor=rep, queue_name="reports")
    worker()

    job = queues.fetch(job.id)
    assert job.is_finished and job.meta["progress"] == 100
    assert job.meta["result_url"] == f"/quotes/{quote.id}/pdf"  # sales.quote_pdf
    db.session.expire_all()
    stored = db.session.get(Quote, quote.id)
    assert quote_pdf.pdf_path(stored) and quote_pdf.is_current(stored)


def test_the_render_job_checks_the_rights_again(rep, quote, worker):
    stranger = make_user(name="Stranger")
    job = _enqueue(quote_jobs.render_quote_pdf, quote.id, actor=stranger, queue_name="reports")
    worker()
    assert queues.fetch(job.id).is_failed
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).pdf_file is None


def test_the_send_job_emails_the_pdf_and_portal_link_and_marks_the_quote_sent(
    rep, quote, worker, smtp
):
    job = _enqueue(
        quote_jobs.send_quote, quote.id, "", "Hello <b>Lin</b>,\nhere it is.",
        actor=rep, queue_name="mail",
    )  # fmt: skip
    worker()

    assert queues.fetch(job.id).is_finished
    assert len(smtp) == 1
    message = smtp[0]
    assert message["To"] == "lin@acme.tw" and message["Reply-To"] == rep.email
    assert quote.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    db.session.expire_all()
    sent = db.session.get(Quote, quote.id)
    link = f"http://rapport.test/portal/quotes/{quotes.portal_token(sent)}"
    assert link in text and link in html
    assert "Hello <b>Lin</b>,\nhere it is." in text
    assert "Hello &lt;b&gt;Lin&lt;/b&gt;" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{quote.reference}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert sent.status is QuoteStatus.SENT and sent.sent_at is not None
    assert quote_pdf.is_current(sent)


def test_an_empty_quote_is_not_sent(rep, worker, smtp):
    empty = make_quote(rep)
    job = _enqueue(
        quote_jobs.send_quote, empty.id, "x@example.com", "", actor=rep, queue_name="mail"
    )
    worker()

    job = queues.fetch(job.id)
    assert job.is_failed
    assert "Add at least one line" in job.meta["message"]
    assert smtp == []
    db.session.expire_all()
    assert db.session.get(Quote, empty.id).status is QuoteStatus.DRAFT


def test_a_bad_address_is_refused(rep, quote, worker, smtp):
    job = _enqueue(
        quote_jobs.send_quote, quote.id, "lin@acme.tw\nBcc: all@x.io", "", actor=rep,
        queue_name="mail",
    )  # fmt: skip
    worker()
    assert queues.fetch(job.id).is_failed and smtp == []


def test_the_pdf_and_email_follow_the_senders_language(worker, smtp):
    rep = make_user(name="林業務", locale="zh_Hant")
    customer = make_customer(rep, name="大同公司")
    contact = make_contact(rep, customer, last_name="陳", email="chen@tatung.tw")
    quote = make_quote(rep, customer, lines=LINES, contact_id=contact.id)
    _enqueue(quote_jobs.send_quote, quote.id, "", "您好", actor=rep, queue_name="mail")
    worker()

    [message] = smtp
    [attachment] = list(message.iter_attachments())
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = reader.pages[0].extract_text()
    assert "大同公司" in text and "顧問服務" in text
    assert "年" in text and "月" in text  # dates in the Chinese form, e.g. 2026年12月25日
    assert "您好" in message.get_body(("plain",)).get_content()
