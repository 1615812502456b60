"""The pipeline board and the deal pages as a user meets them: columns with totals, htmx
moves answered with the card and both headers, stale moves refused with a message, the
lost and won dialogs, the list, the detail page, documents and who may do what."""

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Opportunity, OpportunityDocument, OpportunityStage
from app.services import pipeline
from tests.conftest import csrf_token, post_form
from tests.factories import make_customer, make_opportunity, make_user

S = OpportunityStage


def _move(client, deal, stage, version=None, **extra):
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    data = {"opportunity_id": deal.id, "stage": stage, "version": version or deal.version, **extra}
    return client.post(f"/pipeline/{deal.pipeline_id}/move", data=data, headers=headers)


def test_the_board_shows_columns_cards_and_totals(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    make_opportunity(rep, customer, name="Acme renewal", amount="1000", stage="PROPOSAL")
    make_opportunity(make_user(Role.SALES), name="Not mine", amount="5")
    html = login(rep).get("/pipeline").get_data(as_text=True)
    assert 'id="stage-proposal"' in html and "Acme renewal" in html and "Acme" in html
    assert "Not mine" not in html
    header = re.search(r'id="stage-header-proposal".*?</header>', html, re.S).group(0)
    assert ">1</span>" in header and "1,000.00" in header and "500.00" in header
    assert "sortable-1.15.7.min.js" in html and 'name="stage"' in html
    assert 'id="nav-pipeline"' in html


def test_an_htmx_move_returns_the_card_and_both_headers(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, amount="200")
    client = login(rep)
    response = _move(client, deal, "NEGOTIATION")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    db.session.refresh(deal)
    assert deal.stage is S.NEGOTIATION
    assert html.lstrip().startswith(f'<li class="board-card" id="deal-{deal.id}"')
    assert f'data-version="{deal.version}"' in html
    assert 'id="stage-header-prospecting" hx-swap-oob="true"' in html
    negotiation = re.search(r'id="stage-header-negotiation".*?</header>', html, re.S).group(0)
    assert "200.00" in negotiation and "150.00" in negotiation


def test_a_stale_move_is_refused_with_409_and_the_board(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    seen = deal.version
    admin = make_user(Role.ADMIN, name="Ada Admin")
    pipeline.move_stage(deal, admin, S.QUALIFICATION, seen)
    db.session.commit()
    response = _move(login(rep), deal, "PROPOSAL", version=seen)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#board"
    assert "Ada Admin changed" in html and 'id="board-message"' in html
    db.session.refresh(deal)
    assert deal.stage is S.QUALIFICATION


def test_moving_to_lost_asks_for_a_reason_first(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    response = _move(client, deal, "CLOSED_LOST")
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#board-dialog"
    assert "<dialog open" in html and 'name="loss_reason"' in html
    db.session.refresh(deal)
    assert deal.stage is S.PROSPECTING
    response = _move(client, deal, "CLOSED_LOST", loss_reason="Too expensive")
    db.session.refresh(deal)
    assert response.status_code == 200 and deal.loss_reason == "Too expensive"
    assert '<div id="board-dialog" hx-swap-oob="true">' in response.get_data(as_text=True)


def test_moving_to_won_asks_for_confirmation_then_offers_an_order(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    html = _move(client, deal, "CLOSED_WON").get_data(as_text=True)
    assert "won?" in html and "create its order" in html and 'href="/orders' not in html
    html = _move(client, deal, "CLOSED_WON", confirm="yes").get_data(as_text=True)
    db.session.refresh(deal)
    assert deal.stage is S.CLOSED_WON and deal.closed_at is not None
    assert f'href="/orders/new?opportunity_id={deal.id}"' in html


def test_winning_on_the_deal_page_offers_an_order(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    response = post_form(
        client,
        f"/opportunities/{deal.id}/stage",
        {"stage": "CLOSED_WON", "version": deal.version},
    )
    html = response.get_data(as_text=True)
    db.session.refresh(deal)
    assert deal.stage is S.CLOSED_WON
    assert f'href="/orders/new?opportunity_id={deal.id}"' in html and 'id="offer-not-now"' in html


def test_the_move_to_form_works_without_javascript(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    response = post_form(
        client,
        f"/pipeline/{deal.pipeline_id}/move",
        {"opportunity_id": deal.id, "stage": "PROPOSAL", "version": deal.version},
    )
    assert response.status_code == 302
    db.session.refresh(deal)
    assert deal.stage is S.PROPOSAL
    page = post_form(
        client,
        f"/pipeline/{deal.pipeline_id}/move",
        {"opportunity_id": deal.id, "stage": "CLOSED_LOST", "version": deal.version},
    )
    assert page.status_code == 200 and 'name="loss_reason"' in page.get_data(as_text=True)


def test_support_may_see_but_not_move_a_teams_deal(login):
    from tests.factories import make_team

    team = make_team()
    rep = make_user(Role.SALES, team=team)
    deal = make_opportunity(rep)
    client = login(make_user(Role.SUPPORT, team=team))
    assert deal.name in client.get("/pipeline").get_data(as_text=True)
    assert _move(client, deal, "PROPOSAL").status_code == 403


def test_a_rep_gets_404_for_anothers_deal(login):
    deal = make_opportunity(make_user(Role.SALES))
    client = login(make_user(Role.SALES))
    assert client.get(f"/opportunities/{deal.id}").status_code == 404
    assert _move(client, deal, "PROPOSAL").status_code == 404


def test_the_list_searches_filters_and_pages(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Globex")
    for n in range(55):
        make_opportunity(rep, customer, name=f"Deal {n:02}", amount=str(n))
    client = login(rep)
    first = client.get("/opportunities?sort=amount&direction=desc").get_data(as_text=True)
    assert first.count('<tr id="opportunity-') == 50 and 'rel="next"' in first
    assert first.index("Deal 54") < first.index("Deal 53")
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('<tr id="opportunity-') == 5 and "Deal 00" in second
    found = client.get("/opportunities?q=Deal+07", headers={"HX-Request": "true"})
    html = found.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="opportunity-results">') and "Deal 07" in html
    assert client.get("/opportunities?amount_min=50").get_data(as_text=True).count("<tr id") == 5


def test_create_edit_and_detail_page(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Initech")
    client = login(rep)
    response = post_form(
        client, "/opportunities/new",
        {"name": "Initech deal", "customer_id": customer.id, "amount": "300", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    deal = db.session.scalar(sa.select(Opportunity).filter_by(name="Initech deal"))
    html = client.get(f"/opportunities/{deal.id}").get_data(as_text=True)
    assert "Initech" in html and 'id="stage-history"' in html and "stage-span" in html
    stale = post_form(
        client, f"/opportunities/{deal.id}/edit",
        {"name": "Renamed", "customer_id": customer.id, "version": deal.version - 1,
         "owner_id": rep.id},
    )  # fmt: skip
    assert stale.status_code == 302
    db.session.refresh(deal)
    assert deal.name == "Initech deal"
    post_form(
        client, f"/opportunities/{deal.id}/edit",
        {"name": "Renamed", "customer_id": customer.id, "amount": "300", "version": deal.version,
         "owner_id": rep.id},
    )  # fmt: skip
    db.session.refresh(deal)
    assert deal.name == "Renamed"


PDF = b"%PDF-1.7\n" + b"x" * 100


def _upload(client, deal, name, content):
    return post_form(
        client,
        f"/opportunities/{deal.id}/documents",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_documents_are_checked_by_size_extension_and_content(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    assert "not really a .pdf" in _upload(client, deal, "virus.pdf", b"MZ\x90\x00" * 10).get_data(
        as_text=True
    )
    assert "kinds of file" in _upload(client, deal, "virus.exe", b"MZ").get_data(as_text=True)
    oversize = PDF + b"x" * (10 * 1024 * 1024)
    assert "at most 10 MB" in _upload(client, deal, "big.pdf", oversize).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OpportunityDocument.id))) == 0
    _upload(client, deal, "offer.pdf", PDF)
    _upload(client, deal, "notes.txt", "報價 notes".encode())
    assert db.session.scalar(sa.select(sa.func.count(OpportunityDocument.id))) == 2


def test_documents_download_as_attachments_for_readers_only(login, client):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    login(rep)
    _upload(client, deal, "offer.pdf", PDF)
    document = db.session.scalar(sa.select(OpportunityDocument))
    url = f"/opportunities/{deal.id}/documents/{document.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user(Role.SALES))
    assert client.get(url).status_code == 404


def test_pipelines_are_managed_by_managers(login, client):
    login(make_user(Role.SALES))
    assert post_form(client, "/pipelines", {"name": "Renewals"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user(Role.MANAGER))
    response = post_form(client, "/pipelines", {"name": "Renewals"})
    assert response.status_code == 302
    board_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    post_form(client, f"/pipelines/{board_id}", {"name": "Renewals", "probability-PROPOSAL": "40"})
    html = client.get("/pipelines").get_data(as_text=True)
    assert "Renewals" in html and "40 %" in html


def test_the_customer_page_lists_open_deals_and_the_timeline_their_moves(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Umbrella")
    deal = make_opportunity(rep, customer, name="Umbrella expansion")
    won = make_opportunity(rep, customer, name="Umbrella closed")
    pipeline.move_stage(won, rep, S.CLOSED_WON, won.version)
    pipeline.move_stage(deal, rep, S.PROPOSAL, deal.version)
    db.session.commit()
    client = login(rep)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    section = re.search(r'id="customer-opportunities".*?</section>', html, re.S).group(0)
    assert "Umbrella expansion" in section and "Umbrella closed" not in section
    feed = client.get(f"/customers/{customer.id}/timeline").get_data(as_text=True)
    assert "Umbrella expansion moved from Prospecting to Proposal" in feed
    assert "Opportunity created: Umbrella closed" in feed


def test_the_customer_page_shows_no_deal_section_without_deals(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    html = login(rep).get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'id="customer-opportunities"' not in html and 'id="add-opportunity"' in html


def test_the_board_runs_the_same_number_of_queries_for_2_or_20_cards(login):
    from tests.blueprints.test_customers import counted_queries

    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    client = login(rep)
    make_opportunity(rep, customer, stage="PROPOSAL")
    make_opportunity(rep, customer, stage="PROSPECTING")
    client.get("/pipeline")  # warm caches (translations, the default pipeline)
    with counted_queries() as few:
        client.get("/pipeline")
    for n in range(18):
        make_opportunity(rep, customer, stage=("PROPOSAL", "NEGOTIATION", "CLOSED_WON")[n % 3])
    with counted_queries() as many:
        html = client.get("/pipeline").get_data(as_text=True)
    assert html.count('class="board-card"') == 20
    assert len(many) <= len(few) + 2  # at most two more non-empty columns to read


def test_the_first_board_visit_makes_no_pipeline(login):
    from app.models.sales import Pipeline

    client = login(make_user(Role.MANAGER))
    assert client.get("/pipeline").status_code == 200
    assert client.get("/pipelines").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Pipeline.id))) == 0
    post_form(client, "/pipelines/0", {"name": "Sales", "probability-PROPOSAL": "45"})
    assert db.session.scalar(sa.select(Pipeline.name)) == "Sales"


def test_the_board_and_the_list_keep_the_chosen_owner_selected(login):
    manager = make_user(Role.MANAGER)
    client = login(manager)
    for path in (f"/pipeline?owner_id={manager.id}", f"/opportunities?owner_id={manager.id}"):
        html = client.get(path).get_data(as_text=True)
        assert f'<option value="{manager.id}" selected>' in html, path
    assert 'id="team_id"' in client.get("/pipeline").get_data(as_text=True)
