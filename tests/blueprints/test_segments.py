"""The segment pages: the builder (rows and groups added and removed by re-rendering it,
a row's inputs swapped when its field changes), the live count, saving with the rules'
messages, the segment page, static lists kept by search, and who may do what."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Segment, SegmentKind, SegmentMember
from tests.conftest import htmx_post, post_form
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_segment

HTMX = {"HX-Request": "true"}
TW = {"match": "all", "groups": [{"match": "all", "conditions": [
    {"field": "email", "op": "contains", "value": ".tw"}]}]}  # fmt: skip


def builder_form(**extra) -> dict:
    """The builder's inputs for one group: email contains .tw."""
    return {
        "entity": "CONTACT",
        "kind": "DYNAMIC",
        "match": "all",
        "g0-match": "all",
        "g0c0-field": "email",
        "g0c0-op": "contains",
        "g0c0-value": ".tw",
    } | extra


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


def test_the_list_has_an_empty_state_then_the_segments(login, marketer):
    client = login(marketer)
    html = client.get("/marketing/segments").get_data(as_text=True)
    assert "There are no segments yet." in html and 'id="new-segment"' in html
    make_segment(marketer, name="Taiwan", last_count=12)
    make_segment(marketer, name="Trade show", kind=SegmentKind.STATIC)
    html = client.get("/marketing/segments").get_data(as_text=True)
    assert "Taiwan" in html and "Trade show" in html and "Static list" in html
    assert ">12 <small>" in html and marketer.name in html


def test_a_marketer_builds_and_saves_a_segment(login, marketer):
    for n in range(2):
        make_contact(marketer, email=f"p{n}@example.com.tw")
    make_contact(marketer, email="else@example.com")
    client = login(marketer)
    page = client.get("/marketing/segments/new").get_data(as_text=True)
    assert 'hx-post="/marketing/segments/count"' in page
    assert 'hx-trigger="change, input delay:400ms"' in page and 'id="segment-count"' in page
    assert 'name="g0c0-field"' in page
    saved = post_form(client, "/marketing/segments/new", builder_form(name="Taiwan"))
    segment = db.session.scalar(sa.select(Segment))
    assert saved.status_code == 302 and saved.location.endswith(f"/marketing/segments/{segment.id}")
    assert segment.definition == TW and segment.owner_id == marketer.id
    show = client.get(saved.location).get_data(as_text=True)
    assert "Email contains .tw" in show and "p0@example.com.tw" in show
    assert "else@example.com" not in show and 'id="edit-segment"' in show
    counted = htmx_post(client, f"/marketing/segments/{segment.id}/count", {})
    assert "2 contacts match" in counted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Segment, segment.id).last_count == 2


def test_the_live_count_follows_the_conditions_being_edited(login, marketer):
    make_contact(marketer, email="a@x.com.tw")
    make_contact(marketer, email="b@x.com")
    make_lead(marketer, email="lead@x.com.tw")
    client = login(marketer)
    count = htmx_post(client, "/marketing/segments/count", builder_form())
    assert count.get_data(as_text=True).count('id="segment-count"') == 1
    assert "1 contact matches" in count.get_data(as_text=True)
    everyone = htmx_post(client, "/marketing/segments/count", {"entity": "CONTACT", "match": "all"})
    assert "2 contacts match" in everyone.get_data(as_text=True)
    leads = htmx_post(client, "/marketing/segments/count", builder_form(entity="LEAD"))
    assert "1 lead matches" in leads.get_data(as_text=True)
    bad = htmx_post(client, "/marketing/segments/count", builder_form(**{"g0c0-op": "gt"}))
    assert bad.status_code == 200
    assert "Group 1, condition 1: “is more than” does not apply to Email." in bad.get_data(
        as_text=True
    ).replace("&#34;", '"')


def test_builder_buttons_add_and_remove_rows_and_groups(login, marketer):
    client = login(marketer)
    added = htmx_post(
        client, "/marketing/segments/builder", builder_form(builder_action="add-condition-0")
    ).get_data(as_text=True)
    assert added.lstrip().startswith('<div id="segment-builder">')
    assert 'name="g0c1-field"' in added and 'value=".tw"' in added
    group = htmx_post(
        client, "/marketing/segments/builder", builder_form(builder_action="add-group")
    ).get_data(as_text=True)
    assert 'id="segment-group-1"' in group and 'name="g1c0-field"' in group
    two_rows = builder_form(
        **{"g0c1-field": "first_name", "g0c1-op": "eq", "g0c1-value": "Mei"},
        builder_action="remove-condition-0-0",
    )
    removed = htmx_post(client, "/marketing/segments/builder", two_rows).get_data(as_text=True)
    assert 'value="Mei"' in removed and 'value=".tw"' not in removed
    assert 'name="g0c1-field"' not in removed  # the rows are numbered again
    gone = htmx_post(
        client, "/marketing/segments/builder", builder_form(builder_action="remove-group-0")
    ).get_data(as_text=True)
    assert 'id="segment-group-0"' not in gone
    leads = htmx_post(
        client, "/marketing/segments/builder", builder_form(entity="LEAD", builder_action="entity")
    ).get_data(as_text=True)
    assert 'value="utm_source"' in leads and 'value="customer_status"' not in leads
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_without_javascript_the_buttons_post_the_form_and_nothing_is_saved(login, marketer):
    client = login(marketer)
    page = post_form(
        client, "/marketing/segments/new", builder_form(name="X", builder_action="add-group")
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'name="g1c0-field"' in html and 'value="X"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_changing_a_rows_field_swaps_its_operator_and_value_inputs(login, marketer):
    client = login(marketer)
    url = "/marketing/segments/builder/condition"

    def row(**args):
        response = client.get(url, query_string={"prefix": "g0c1", "entity": "CONTACT"} | args)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    status = row(**{"g0c1-field": "customer_status"})
    assert status.lstrip().startswith('<div class="segment-condition')
    assert 'name="g0c1-op"' in status and '<option value="in">' in status
    assert '<option value="CUSTOMER">' in status
    many = row(**{"g0c1-field": "customer_status", "g0c1-op": "in"})
    assert 'name="g0c1-value" multiple' in many
    days = row(**{"g0c1-field": "created_at", "g0c1-op": "within_days"})
    assert 'type="number"' in days and 'type="date"' not in days
    date = row(**{"g0c1-field": "created_at", "g0c1-op": "contains"})  # not allowed: first op
    assert '<option value="before" selected>' in date and 'type="date"' in date
    activity = row(**{"g0c1-field": "activity"})
    assert 'name="g0c1-kind"' in activity and 'name="g0c1-days"' in activity
    assert "remove-condition-0-1" in activity
    flag = row(**{"g0c1-field": "consent"})
    assert 'name="g0c1-value"' not in flag
    assert client.get(url, query_string={"prefix": "x<script>"}).status_code == 400


def test_a_bad_save_shows_the_message_on_its_row_and_saves_nothing(login, marketer):
    client = login(marketer)
    form = builder_form(name="", **{"g0c0-field": "created_at", "g0c0-op": "before",
                                   "g0c0-value": "soon"})  # fmt: skip
    page = post_form(client, "/marketing/segments/new", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Enter a name for the segment." in html
    assert "Group 1, condition 1: Enter a date such as 2025-03-31." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_editing_keeps_the_conditions_in_the_builder(login, marketer):
    segment = make_segment(marketer, name="Taiwan", definition=TW)
    client = login(marketer)
    html = client.get(f"/marketing/segments/{segment.id}/edit").get_data(as_text=True)
    assert '<option value="email" selected>' in html and 'value=".tw"' in html
    assert 'name="entity" value="CONTACT"' in html  # fixed once saved
    second = {"g1-match": "all", "g1c0-field": "email", "g1c0-op": "contains", "g1c0-value": ".jp"}
    form = builder_form(name="Taiwan and Japan", match="any", **second)
    saved = post_form(client, f"/marketing/segments/{segment.id}/edit", form)
    assert saved.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Segment, segment.id)
    assert stored.name == "Taiwan and Japan" and stored.definition["match"] == "any"
    assert [g["conditions"][0]["value"] for g in stored.definition["groups"]] == [".tw", ".jp"]


def test_a_static_list_is_filled_by_search_and_emptied_by_hand(login, marketer):
    mei = make_contact(marketer, first_name="Mei", last_name="Chen", email="mei@x.tw")
    make_contact(make_user(Role.SALES), first_name="Mei", last_name="Hidden")
    client = login(marketer)
    created = post_form(
        client,
        "/marketing/segments/new",
        {"name": "VIP dinner", "entity": "CONTACT", "kind": "STATIC"},
    )
    segment = db.session.scalar(sa.select(Segment))
    assert created.status_code == 302 and segment.kind is SegmentKind.STATIC
    show = client.get(created.location).get_data(as_text=True)
    assert 'id="candidate-search"' in show and "No members to show." in show
    found = client.get(f"/marketing/segments/{segment.id}/candidates?q=mei", headers=HTMX).get_data(
        as_text=True
    )
    assert "Mei Chen" in found and "Hidden" not in found
    added = htmx_post(client, f"/marketing/segments/{segment.id}/members", {"entity_id": mei.id})
    assert added.get_data(as_text=True).lstrip().startswith('<div id="segment-members">')
    assert "Mei Chen" in added.get_data(as_text=True)
    again = client.get(f"/marketing/segments/{segment.id}/candidates?q=mei", headers=HTMX)
    assert "Mei Chen" not in again.get_data(as_text=True)  # already on the list
    removed = htmx_post(
        client, f"/marketing/segments/{segment.id}/members/{mei.id}/remove", {}
    ).get_data(as_text=True)
    assert "Mei Chen" not in removed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SegmentMember)) == 0


def test_copy_and_delete(login, marketer):
    make_contact(marketer, email="a@x.tw")
    segment = make_segment(marketer, name="Taiwan", definition=TW)
    segment_id = segment.id
    client = login(marketer)
    copied = post_form(client, f"/marketing/segments/{segment.id}/copy")
    copy = db.session.scalar(sa.select(Segment).where(Segment.id != segment.id))
    assert copied.location.endswith(f"/marketing/segments/{copy.id}")
    assert copy.kind is SegmentKind.STATIC and copy.last_count == 1
    assert client.get(f"/marketing/segments/{segment.id}/delete").status_code == 200
    deleted = post_form(client, f"/marketing/segments/{segment_id}/delete")
    db.session.expire_all()
    assert deleted.status_code == 302 and db.session.get(Segment, segment_id) is None


def test_sales_reads_without_edit_buttons_and_may_not_write(login, marketer):
    segment = make_segment(marketer, name="Taiwan", definition=TW)
    static = make_segment(marketer, name="List", kind=SegmentKind.STATIC)
    client = login(make_user(Role.SALES))
    index = client.get("/marketing/segments").get_data(as_text=True)
    assert "Taiwan" in index and 'id="new-segment"' not in index
    show = client.get(f"/marketing/segments/{segment.id}").get_data(as_text=True)
    assert "Email contains .tw" in show
    for button in ('id="edit-segment"', 'id="delete-segment"', 'id="copy-segment"'):
        assert button not in show
    list_page = client.get(f"/marketing/segments/{static.id}").get_data(as_text=True)
    assert 'id="candidate-search"' not in list_page
    assert htmx_post(client, "/marketing/segments/count", builder_form()).status_code == 200
    assert client.get("/marketing/segments/new").status_code == 403
    assert client.get(f"/marketing/segments/{segment.id}/edit").status_code == 403
    assert (
        post_form(
            client, f"/marketing/segments/{segment.id}/edit", builder_form(name="x")
        ).status_code
        == 403
    )
    assert post_form(client, f"/marketing/segments/{segment.id}/delete").status_code == 403
    assert post_form(client, f"/marketing/segments/{segment.id}/copy").status_code == 403
    assert (
        post_form(client, f"/marketing/segments/{static.id}/members", {"entity_id": 1}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/marketing/segments"),
        ("get", "/marketing/segments/new"),
        ("get", "/marketing/segments/{id}"),
        ("get", "/marketing/segments/builder/condition?prefix=g0c0"),
        ("post", "/marketing/segments/count"),
        ("post", "/marketing/segments/builder"),
        ("post", "/marketing/segments/{id}/count"),
    ],
)
def test_support_staff_may_not_see_segments(login, marketer, method, path):
    segment = make_segment(marketer)
    client = login(make_user(Role.SUPPORT))
    url = path.replace("{id}", str(segment.id))
    response = client.get(url) if method == "get" else post_form(client, url, builder_form())
    assert response.status_code == 403
    nav = client.get("/").get_data(as_text=True)
    assert 'id="nav-segments"' not in nav


def test_a_foreign_id_in_a_list_answers_404(login, marketer):
    client = login(marketer)
    assert client.get("/marketing/segments/999").status_code == 404
    html = client.get("/marketing/segments").get_data(as_text=True)
    assert re.search(r'id="nav-segments"', html)
