"""The customer's quote page behind a signed link: no login, the newest version sent,
accept (which makes the order) or decline, refused when expired or forged, audited as the
portal's doing."""

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Order, OrderStatus, QuoteStatus
from app.models.records import AuditEntry
from app.services import quotes
from tests.factories import make_customer, make_quote, make_user

LINES = [
    {"name": "Consulting day", "quantity": "3", "unit_price": "800.00", "tax_rate": "20"},
    {"name": "Travel", "quantity": "1", "unit_price": "120.50", "tax_rate": "0"},
]


def _sent_quote(**fields):
    rep = make_user(Role.SALES, name="Rita Rep")
    customer = make_customer(rep, name="Acme Corp")
    quote = make_quote(rep, customer, lines=LINES, title="Website relaunch", **fields)
    quotes.mark_sent(quote, rep)
    db.session.commit()
    return rep, quote


def _url(quote, suffix=""):
    return f"/portal/quotes/{quotes.portal_token(quote)}{suffix}"


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _post(client, quote, action, data):
    path = _url(quote)
    return client.post(f"{path}/{action}", data={"csrf_token": _token(client, path), **data})


def test_the_contact_sees_the_quote_without_logging_in(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_COMPANY_NAME", "Globex Ltd")
    _, quote = _sent_quote(terms="Payment within 30 days.")
    response = client.get(_url(quote))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert quote.number in html and "Website relaunch" in html and "Globex Ltd" in html
    assert "Consulting day" in html and "Travel" in html
    assert "Payment within 30 days." in html and 'id="quote-valid-until"' in html
    assert 'id="quote-total"' in html and "3,000.50" in html  # 2,400 + 20% tax + 120.50
    assert 'id="accept-form"' in html and 'id="decline-form"' in html
    assert 'id="nav-pipeline"' not in html and "Sign out" not in html
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_forged_or_unknown_link_is_a_404(client):
    _, quote = _sent_quote()
    token = quotes.portal_token(quote)
    for path in (f"/portal/quotes/{token}x", "/portal/quotes/nonsense", _url(quote) + "x/pdf"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link is not valid" in response.get_data(as_text=True)


def test_a_draft_is_never_shown(client):
    rep = make_user(Role.SALES)
    quote = make_quote(rep, lines=LINES)
    assert client.get(_url(quote)).status_code == 404


def test_accepting_makes_the_order_with_the_same_totals(client):
    _, quote = _sent_quote()
    response = _post(client, quote, "accept", {"name": "  Carla   Contact ", "agree": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    order = db.session.scalar(sa.select(Order).where(Order.quote_id == quote.id))
    assert order is not None and order.number in html and 'id="order-number"' in html
    assert order.status is OrderStatus.CONFIRMED
    assert (order.subtotal, order.tax_total, order.total) == (
        quote.subtotal,
        quote.tax_total,
        quote.total,
    )
    assert order.total == Decimal("3000.50") and len(order.lines) == 2
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.ACCEPTED and quote.decided_by == "Carla Contact"
    html = client.get(_url(quote)).get_data(as_text=True)
    assert 'id="accept-form"' not in html and "Accepted by Carla Contact" in html
    assert order.number in html


def test_accepting_needs_a_name_and_the_tick(client):
    _, quote = _sent_quote()
    response = _post(client, quote, "accept", {"name": "Carla"})
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)
    response = _post(client, quote, "accept", {"name": " ", "agree": "y"})
    assert "Enter your full name." in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.SENT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_declining_records_the_reason(client):
    _, quote = _sent_quote()
    response = _post(client, quote, "decline", {"name": "Carla Contact", "reason": "Too dear"})
    assert response.status_code == 200 and 'id="portal-declined"' in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.DECLINED
    assert (quote.decided_by, quote.decline_reason) == ("Carla Contact", "Too dear")
    html = client.get(_url(quote)).get_data(as_text=True)
    assert "Declined by Carla Contact" in html and 'id="decline-form"' not in html


def test_an_expired_quote_shows_its_state_and_refuses_a_decision(client):
    _, quote = _sent_quote()
    token_page = _url(quote)
    csrf = _token(client, token_page)
    quote.valid_until = date.today() - timedelta(days=1)
    db.session.commit()
    html = client.get(token_page).get_data(as_text=True)
    assert "expired" in html and 'id="accept-form"' not in html
    response = client.post(
        token_page + "/accept", data={"csrf_token": csrf, "name": "Carla", "agree": "y"}
    )
    assert response.status_code == 409 and "expired" in response.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.SENT


def test_a_link_to_a_superseded_version_shows_the_newest_sent(client):
    rep, first = _sent_quote()
    second = quotes.revise(first, rep)
    quotes.update_quote(second, rep, title="Website relaunch, smaller")
    db.session.commit()
    html = client.get(_url(first)).get_data(as_text=True)
    assert "Website relaunch, smaller" not in html  # the draft is not shown
    assert 'id="quote-superseded"' not in html
    quotes.mark_sent(second, rep)
    db.session.commit()
    html = client.get(_url(first)).get_data(as_text=True)
    assert "Website relaunch, smaller" in html and 'id="quote-superseded"' in html
    assert f"{first.number} v2" in html
    assert quotes.portal_token(second) in html  # the forms decide the newest version


def test_the_decision_forms_need_the_csrf_token(client):
    _, quote = _sent_quote()
    client.get(_url(quote))
    response = client.post(_url(quote, "/accept"), data={"name": "Carla", "agree": "y"})
    assert response.status_code in (400, 422)
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.SENT


def test_decisions_are_in_the_audit_log_as_the_portals(client):
    _, quote = _sent_quote()
    _post(client, quote, "accept", {"name": "Carla Contact", "agree": "y"})
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.source == "portal")).all()
    kinds = {(entry.entity_type, entry.action.value) for entry in entries}
    assert ("quotes", "update") in kinds and ("orders", "create") in kinds
    update = next(e for e in entries if e.entity_type == "quotes")
    assert update.actor_label == "Carla Contact" and update.actor_id is None
    assert update.changes["status"] == ["SENT", "ACCEPTED"]

    _, other = _sent_quote()
    _post(client, other, "decline", {"name": "Dan Decider", "reason": "No budget"})
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.source == "portal",
            AuditEntry.entity_type == "quotes",
            AuditEntry.entity_id == str(other.id),
        )
    )
    assert entry.actor_label == "Dan Decider"
    assert entry.changes["status"] == ["SENT", "DECLINED"]


def test_decision_posts_are_rate_limited(client, app):
    _, quote = _sent_quote()
    app.config["RAPPORT_PORTAL_RATE_LIMIT"] = "2 per minute"
    try:
        statuses = [_post(client, quote, "decline", {"name": ""}).status_code for _ in range(3)]
    finally:
        app.config.pop("RAPPORT_PORTAL_RATE_LIMIT")
    assert statuses[-1] == 429


def test_the_pdf_of_the_shown_version_is_served(client):
    _, quote = _sent_quote()
    response = client.get(_url(quote, "/pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    db.session.refresh(quote)
    assert quote.pdf_file is not None
    rep = make_user(Role.SALES)
    draft = make_quote(rep, lines=LINES)
    assert client.get(_url(draft, "/pdf")).status_code == 404
