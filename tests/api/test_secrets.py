"""Password hashes, token hashes and tokens never appear in any API response."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import ApiToken, Role
from app.models.marketing import FormSubmission
from app.services import kb, price_books
from tests.api.conftest import api_operations
from tests.factories import (
    make_activity,
    make_contact,
    make_customer,
    make_lead,
    make_opportunity,
    make_order,
    make_price_book,
    make_product,
    make_quote,
    make_team,
    make_ticket,
    make_user,
)
from tests.marketing_factories import (
    make_campaign,
    make_segment,
    make_template,
    make_web_form,
)

SECRET_KEYS = ("password", "password_hash", "token_hash", "session_version")


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def test_no_response_carries_a_secret(app, client, token_for, worker):
    team = make_team("Sales")
    admin = make_user(Role.ADMIN, team=team)
    headers = token_for(admin)
    plain = headers["Authorization"].removeprefix("Bearer ")
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == admin.id)).one()
    secrets = [admin.password_hash, token.token_hash, plain]
    customer = make_customer(admin)
    contact = make_contact(admin, customer)
    activity = make_activity(admin, customer_id=customer.id)
    product, book = make_product(admin), make_price_book(admin)
    price_books.set_price(book, product, "900", admin)
    db.session.commit()
    ids = {
        "user_id": admin.id,
        "team_id": team.id,
        "customer_id": customer.id,
        "contact_id": contact.id,
        "activity_id": activity.id,
        "lead_id": make_lead(admin).id,
        "product_id": product.id,
        "book_id": book.id,
        "opportunity_id": make_opportunity(admin, customer).id,
        "quote_id": make_quote(admin, customer).id,
        "order_id": make_order(admin, customer).id,
        "ticket_id": make_ticket(admin, customer_id=customer.id).id,
        "article_id": kb.create_article(admin, title="Reset a password", body="Steps").id,
        "segment_id": make_segment(admin).id,
        "template_id": make_template(admin).id,
        "campaign_id": make_campaign(admin).id,
        "form_id": (form := make_web_form(admin)).id,
        "key": "win-rate",
    }
    submission = FormSubmission(form_id=form.id, data={"email": "visitor@example.com"})
    db.session.add(submission)
    db.session.commit()
    ids["submission_id"] = submission.id
    rendering = client.post(f"/api/v1/quotes/{ids['quote_id']}/pdf", headers=headers)
    ids["job_id"] = rendering.get_json()["job_id"]
    worker()

    responses = [
        client.post(
            "/api/v1/users",
            json={"email": "new@example.com", "name": "New", "password": "long enough pw"},
            headers=headers,
        ),
        client.patch(f"/api/v1/users/{admin.id}", json={"name": "Ada"}, headers=headers),
        client.post("/api/v1/teams", json={"name": "Support"}, headers=headers),
    ]
    for path, method in api_operations(app):
        if method == "get":
            url = re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
            responses.append(client.get(url, headers=headers))

    assert [r.request.path for r in responses if r.status_code >= 300] == []
    for response in responses:
        text = response.get_data().decode(errors="replace")  # a PDF is not UTF-8
        assert not _keys(response.get_json()) & set(SECRET_KEYS), text
        assert not any(secret in text for secret in secrets), text
