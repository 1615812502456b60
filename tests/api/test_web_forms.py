"""Web forms over the API (read-only): forms with fields, variants and A/B figures,
submissions newest first with cursor pages, one submission; who may read what."""

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import FormSubmission
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_user
from tests.marketing_factories import make_web_form


def test_forms_list_and_show_with_fields_variants_and_results(client, token_for):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer, name="Demo", slug="demo", variants=[
        {"name": "A", "weight": 50, "views": 1000, "submissions": 200},
        {"name": "B", "weight": 50, "views": 1000, "submissions": 250},
    ])  # fmt: skip
    make_web_form(marketer, name="Draft", status="DRAFT")
    headers = token_for(marketer)

    found, _ = _walk(client, "/api/v1/forms?status=PUBLISHED", headers)
    assert [f["name"] for f in found] == ["Demo"]
    body = client.get(f"/api/v1/forms/{form.id}", headers=headers).get_json()
    assert body["url"] == "http://rapport.test/f/demo" and body["status"] == "PUBLISHED"
    assert [f["maps_to"] for f in body["fields"]] == ["first_name", "last_name", "email", "company"]
    a, b = body["variants"]
    assert (a["views"], a["submissions"], a["conversion_rate"], a["verdict"]) == (
        1000, 200, "0.2000", "baseline",
    )  # fmt: skip
    assert (b["conversion_rate"], b["difference"], b["share"]) == ("0.2500", "0.0500", "0.5000")
    assert b["p_value"] == "0.007420" and b["verdict"] == "significant"


def test_submissions_come_newest_first_in_cursor_pages(client, token_for):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    other = make_web_form(marketer)
    for n in range(5):
        db.session.add(FormSubmission(form_id=form.id, data={"n": n}, utm_source="linkedin"))
    db.session.add(FormSubmission(form_id=other.id, data={"n": 99}))
    db.session.commit()
    headers = token_for(marketer)

    items, links = _walk(client, f"/api/v1/forms/{form.id}/submissions?limit=2", headers)
    assert [s["data"]["n"] for s in items] == [4, 3, 2, 1, 0]
    assert len(links) == 2 and links[0].startswith("http://localhost/api/v1/forms/")
    one = client.get(f"/api/v1/form-submissions/{items[0]['id']}", headers=headers).get_json()
    assert (one["form_id"], one["utm_source"], one["data"]) == (form.id, "linkedin", {"n": 4})


def test_sales_reps_read_support_agents_see_nothing(client, token_for):
    form = make_web_form(make_user(Role.MARKETING))
    db.session.add(FormSubmission(form_id=form.id, data={}))
    db.session.commit()
    submission_id = db.session.query(FormSubmission.id).scalar()
    rep = token_for(make_user(Role.SALES))
    assert client.get(f"/api/v1/forms/{form.id}", headers=rep).status_code == 200
    agent = token_for(make_user(Role.SUPPORT))
    assert_error(client.get("/api/v1/forms", headers=agent), 403, "forbidden")
    assert_error(client.get(f"/api/v1/forms/{form.id}", headers=agent), 404, "not_found")
    assert_error(
        client.get(f"/api/v1/forms/{form.id}/submissions", headers=agent), 404, "not_found"
    )
    assert_error(
        client.get(f"/api/v1/form-submissions/{submission_id}", headers=agent), 404, "not_found"
    )
    assert_error(client.get("/api/v1/form-submissions/999999", headers=rep), 404, "not_found")
    assert client.get("/api/v1/forms").status_code == 401
