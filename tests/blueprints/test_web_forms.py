"""The web form pages: who sees and changes them, the list with each form's figures, the
designer with its field rows rebuilt on the server (add, move, remove) and the service's
messages, the form page's share panel, A/B results and submissions, and the variants."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import FormStatus, FormSubmission, FormVariant, WebForm
from tests.conftest import csrf_token, post_form
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_web_form

HTMX = {"HX-Request": "true"}


def _designer_post(name="Webinar", **extra):
    data = {
        "name": name,
        "slug": "",
        "status": "PUBLISHED",
        "campaign_id": "",
        "fields-0-label": "Surname",
        "fields-0-type": "text",
        "fields-0-maps_to": "last_name",
        "fields-1-label": "Email",
        "fields-1-type": "email",
        "fields-1-maps_to": "email",
        "fields-1-required": "y",
    }
    return data | extra


def test_support_agents_may_not_see_web_forms(login):
    form = make_web_form(None, name="Hidden")
    client = login(make_user(Role.SUPPORT))
    assert client.get("/marketing/forms").status_code == 403
    assert client.get(f"/marketing/forms/{form.id}").status_code == 404
    assert client.get("/marketing/forms/new").status_code == 403


def test_sales_reps_read_forms_but_may_not_change_them(login):
    form = make_web_form(make_user(Role.MARKETING), name="Pricing page")
    client = login(make_user(Role.SALES))
    html = client.get("/marketing/forms").get_data(as_text=True)
    assert "Pricing page" in html and 'id="new-form"' not in html
    page = client.get(f"/marketing/forms/{form.id}")
    assert page.status_code == 200
    assert 'id="edit-form"' not in page.get_data(as_text=True)
    assert 'id="add-variant"' not in page.get_data(as_text=True)
    variant = db.session.scalar(sa.select(FormVariant).where(FormVariant.form_id == form.id))
    for path in ("/new", f"/{form.id}/edit", f"/{form.id}/delete", f"/{form.id}/variants/new",
                 f"/{form.id}/variants/{variant.id}/edit"):  # fmt: skip
        assert client.get(f"/marketing/forms{path}").status_code == 403, path
    refused = post_form(client, f"/marketing/forms/{form.id}/edit", _designer_post("x"))
    assert refused.status_code == 403
    assert post_form(client, "/marketing/forms/builder", {"field_action": "add"}).status_code == 403
    assert db.session.get(WebForm, form.id).name == "Pricing page"


def test_the_list_shows_figures_and_filters_by_status(login):
    marketer = make_user(Role.MARKETING)
    client = login(marketer)
    assert "There are no web forms yet." in client.get("/marketing/forms").get_data(as_text=True)
    make_web_form(marketer, name="Demo request", variants=[
        {"name": "A", "weight": 100, "views": 400, "submissions": 50}])  # fmt: skip
    make_web_form(marketer, name="Old offer", status="ARCHIVED")
    html = client.get("/marketing/forms").get_data(as_text=True)
    assert "Demo request" in html and "400" in html and "12.5 %" in html
    fragment = client.get("/marketing/forms?status=ARCHIVED", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="form-results">')
    assert "Old offer" in fragment and "Demo request" not in fragment


def test_the_builder_adds_moves_and_removes_field_rows_without_saving(login):
    client = login(make_user(Role.MARKETING))
    new_page = client.get("/marketing/forms/new").get_data(as_text=True)
    assert 'name="fields-3-maps_to"' in new_page  # the default fields

    headers = HTMX | {"X-CSRFToken": csrf_token(client, "/")}
    data = _designer_post() | {"field_action": "add"}
    added = client.post("/marketing/forms/builder", data=data, headers=headers)
    html = added.get_data(as_text=True)
    assert html.lstrip().startswith('<fieldset id="form-fields">')
    assert 'id="field-row-2"' in html
    moved = client.post(
        "/marketing/forms/builder",
        data=_designer_post() | {"field_action": "up-1"},
        headers=headers,
    ).get_data(as_text=True)
    assert moved.index('value="Email"') < moved.index('value="Surname"')
    removed = client.post(
        "/marketing/forms/builder", data=_designer_post() | {"field_action": "remove-0"},
        headers=headers,
    ).get_data(as_text=True)  # fmt: skip
    assert 'value="Surname"' not in removed and 'id="field-row-1"' not in removed
    assert db.session.scalars(sa.select(WebForm)).all() == []


def test_without_htmx_a_builder_button_redraws_the_whole_designer(login):
    client = login(make_user(Role.MARKETING))
    response = post_form(client, "/marketing/forms/new", _designer_post() | {"field_action": "add"})
    assert response.status_code == 200
    assert 'id="field-row-2"' in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(WebForm)).all() == []


def test_a_marketer_creates_a_form_and_sees_the_designers_messages(login):
    client = login(make_user(Role.MARKETING))
    bad = post_form(
        client, "/marketing/forms/new",
        _designer_post(redirect_url="javascript:alert(1)") | {"fields-1-maps_to": "company"},
    )  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "fills the lead&#39;s email or phone" in html or "email or phone" in html
    assert "http:// or https://" in html
    assert db.session.scalars(sa.select(WebForm)).all() == []

    saved = post_form(client, "/marketing/forms/new", _designer_post("Spring Webinar"))
    [form] = db.session.scalars(sa.select(WebForm)).all()
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/marketing/forms/{form.id}"
    )
    assert (form.slug, form.status) == ("spring-webinar", FormStatus.PUBLISHED)
    assert [f["maps_to"] for f in form.fields] == ["last_name", "email"]


def test_the_form_page_shares_the_landing_url_and_embed_snippet(login):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer, slug="demo")
    html = login(marketer).get(f"/marketing/forms/{form.id}").get_data(as_text=True)
    assert "http://rapport.test/f/demo" in html
    assert '&lt;iframe src="http://rapport.test/f/demo?embed=1"' in html


def test_the_results_panel_compares_variants_with_the_first(login):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer, variants=[
        {"name": "A", "weight": 50, "views": 1000, "submissions": 200},
        {"name": "B", "weight": 50, "views": 1000, "submissions": 250},
        {"name": "C", "weight": 50, "views": 20, "submissions": 2},
    ])  # fmt: skip
    html = login(marketer).get(f"/marketing/forms/{form.id}").get_data(as_text=True)
    assert "20 %" in html and "25 %" in html
    assert "+5 points" in html
    assert "0.007" in html
    assert "Significant at 95%" in html and "Not enough data" in html


def test_latest_submissions_link_to_their_leads_and_page_on(login):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    lead = make_lead(marketer, email="x@y.example")
    for n in range(25):
        db.session.add(FormSubmission(form_id=form.id, lead_id=lead.id, data={"n": n},
                                      utm_source="linkedin"))  # fmt: skip
    db.session.commit()
    client = login(marketer)
    html = client.get(f"/marketing/forms/{form.id}").get_data(as_text=True)
    assert f"/leads/{lead.id}" in html and "n: 24" in html and "n: 4" not in html
    more = f"/marketing/forms/{form.id}/submissions?cursor="
    assert more in html
    start = html.index(more)
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    rows = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "n: 4" in rows and "n: 24" not in rows and 'id="submissions-more"' not in rows


def test_a_marketer_adds_and_edits_a_variant(login):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    client = login(marketer)
    bad = post_form(
        client, f"/marketing/forms/{form.id}/variants/new", {"name": "", "weight": "500"}
    )
    assert bad.status_code == 200 and "0 to 100" in bad.get_data(as_text=True)
    added = post_form(
        client, f"/marketing/forms/{form.id}/variants/new",
        {"name": "B", "weight": "25", "is_active": "y", "headline": "Book a demo",
         "headline_zh": "預約示範"},
    )  # fmt: skip
    assert added.status_code == 302
    b = db.session.scalar(sa.select(FormVariant).where(FormVariant.name == "B"))
    assert (b.weight, b.headline_zh, b.is_active) == (25, "預約示範", True)
    edited = post_form(
        client, f"/marketing/forms/{form.id}/variants/{b.id}/edit",
        {"name": "B", "weight": "75", "is_active": "y"},
    )  # fmt: skip
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(FormVariant, b.id).weight == 75
    b_id = b.id
    removed = post_form(client, f"/marketing/forms/{form.id}/variants/{b_id}/delete")
    db.session.expire_all()
    assert removed.status_code == 302 and db.session.get(FormVariant, b_id) is None


def test_deleting_asks_first_and_a_form_with_submissions_is_kept(login):
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    kept = make_web_form(marketer)
    db.session.add(FormSubmission(form_id=kept.id, data={}))
    db.session.commit()
    client = login(marketer)
    assert "archive it instead" in client.get(f"/marketing/forms/{kept.id}/delete").get_data(
        as_text=True
    )
    post_form(client, f"/marketing/forms/{kept.id}/delete")
    assert db.session.get(WebForm, kept.id) is not None
    assert client.get(f"/marketing/forms/{form.id}/delete").status_code == 200
    form_id = form.id
    assert post_form(client, f"/marketing/forms/{form_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(WebForm, form_id) is None
