"""The survey pages: the one-click link works without a login and counts once, a forged link
finds nothing, the comment form is CSRF-protected and taken once; staff see the CSAT and
NPS figures and, if allowed, send an NPS round and watch its progress."""

import re

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.service import PortalUser, SurveyKind, SurveyResponse
from app.services import surveys
from tests.conftest import csrf_token, htmx_post
from tests.factories import make_contact, make_customer, make_user


@pytest.fixture
def contact():
    owner = make_user(Role.SUPPORT)
    return make_contact(owner, make_customer(owner), email="jane@acme.example")


def _survey(contact, kind=SurveyKind.CSAT, **fields) -> SurveyResponse:
    response = SurveyResponse(kind=kind, contact_id=contact.id, **fields)
    db.session.add(response)
    db.session.commit()
    return response


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_one_click_link_records_the_score_once_without_a_login(client, contact):
    response = _survey(contact)
    page = client.get(f"/portal/survey/{surveys.answer_token(response, 4)}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="survey-recorded"' in html and "Satisfied" in html
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    db.session.refresh(response)
    assert response.score == 4 and response.answered_at is not None

    again = client.get(f"/portal/survey/{surveys.answer_token(response, 1)}")
    assert again.status_code == 200
    assert 'id="survey-already"' in again.get_data(as_text=True)
    db.session.refresh(response)
    assert response.score == 4


def test_a_forged_link_finds_nothing(client, contact):
    response = _survey(contact)
    token = surveys.answer_token(response, 5)
    assert client.get(f"/portal/survey/{token}x").status_code == 404
    assert client.get("/portal/survey/forged").status_code == 404
    forged_comment = client.post(
        f"/portal/survey/{token}x/comment",
        data={"csrf_token": csrf_token(client, "/login"), "comment": "Hello"},
    )
    assert forged_comment.status_code == 404
    db.session.refresh(response)
    assert response.answered_at is None


def test_the_comment_needs_the_csrf_token_and_is_taken_once(client, contact):
    response = _survey(contact, kind=SurveyKind.NPS, survey_name="Q4")
    path = f"/portal/survey/{surveys.answer_token(response, 9)}"
    html = client.get(path).get_data(as_text=True)
    assert 'id="survey-comment-form"' in html
    token = _form_token(html)

    assert client.post(f"{path}/comment", data={"comment": "Hi"}).status_code == 400
    empty = client.post(f"{path}/comment", data={"csrf_token": token, "comment": " "})
    assert empty.status_code == 422
    saved = client.post(f"{path}/comment", data={"csrf_token": token, "comment": "Great help"})
    assert saved.status_code == 200
    assert 'id="survey-comment-saved"' in saved.get_data(as_text=True)
    refused = client.post(f"{path}/comment", data={"csrf_token": token, "comment": "Again"})
    assert refused.status_code == 409
    db.session.refresh(response)
    assert (response.score, response.comment) == (9, "Great help")
    assert 'id="survey-comment-form"' not in client.get(path).get_data(as_text=True)


def test_the_page_speaks_the_contacts_portal_language_else_the_browsers(client, contact):
    first = _survey(contact)
    second = _survey(contact)
    english = client.get(
        f"/portal/survey/{surveys.answer_token(first, 3)}", headers={"Accept-Language": "en"}
    )
    assert '<html lang="en"' in english.get_data(as_text=True)
    db.session.add(PortalUser(contact_id=contact.id, email=contact.email, locale="zh_Hant"))
    db.session.commit()
    chinese = client.get(
        f"/portal/survey/{surveys.answer_token(second, 3)}", headers={"Accept-Language": "en"}
    )
    assert '<html lang="zh-Hant"' in chinese.get_data(as_text=True)


def test_the_browsers_language_when_the_contact_has_none(client, contact):
    response = _survey(contact)
    page = client.get(
        f"/portal/survey/{surveys.answer_token(response, 3)}",
        headers={"Accept-Language": "zh-TW,zh;q=0.9"},
    )
    assert '<html lang="zh-Hant"' in page.get_data(as_text=True)


# -- staff -----------------------------------------------------------------------------


def test_staff_read_the_figures_and_only_senders_see_the_form(client, login, contact):
    _survey(contact, score=5, answered_at=db.func.now())
    _survey(contact, kind=SurveyKind.NPS, survey_name="NPS Q4", score=10, answered_at=db.func.now())
    login(make_user(Role.SUPPORT))
    html = client.get("/service/surveys").get_data(as_text=True)
    assert 'id="csat-overall"' in html and "Average 5.00" in html
    assert "NPS Q4" in html and "100.0" in html
    assert 'id="nps-send"' not in html
    assert htmx_post(client, "/service/surveys/nps", {"survey_name": "X"}).status_code == 403


def test_a_signed_out_visitor_is_sent_to_the_login(client):
    response = client.get("/service/surveys")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_marketer_sends_an_nps_round_and_watches_it(client, login, contact, smtp, worker):
    login(make_user(Role.MARKETING))
    assert 'id="nps-send"' in client.get("/service/surveys").get_data(as_text=True)

    invalid = htmx_post(client, "/service/surveys/nps", {"survey_name": ""})
    assert invalid.status_code == 200 and "Name the round" in invalid.get_data(as_text=True)
    no_csrf = client.post("/service/surveys/nps", data={"survey_name": "Q4"})
    assert no_csrf.status_code == 400

    sent = htmx_post(client, "/service/surveys/nps", {"survey_name": "Q4", "customer_status": ""})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and 'id="nps-round-counts"' in html
    job_id = re.search(r'id="job-([^"]+)"', html).group(1)
    worker()
    assert [message["To"] for message in smtp] == ["jane@acme.example"]
    progress = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "1 email sent" in progress
    assert (
        db.session.scalar(
            db.select(db.func.count(SurveyResponse.id)).where(SurveyResponse.survey_name == "Q4")
        )
        == 1
    )


def test_the_survey_links_are_rate_limited(app, client, contact, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_PORTAL_RATE_LIMIT", "2 per minute")
    response = _survey(contact)
    path = f"/portal/survey/{surveys.answer_token(response, 5)}"
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
