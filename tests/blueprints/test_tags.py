"""The tag editor on a record: add and remove through HTMX, autocomplete from existing
tags, and the record's own edit right decides who may change its tags."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import Tagging
from app.services import tags
from tests.conftest import csrf_token
from tests.factories import make_user


def _htmx(client):
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}


def _tag_names(user_id):
    return [t.name for t in tags.tags_for("users", [user_id])[user_id]]


def test_rep_tags_their_own_record_and_gets_the_editor_back(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = client.post(
        f"/tags/users/{rep.id}", data={"name": "vip, 大客戶"}, headers=_htmx(client)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="tags-users-{rep.id}"')
    assert "vip" in html and "大客戶" in html
    assert _tag_names(rep.id) == ["vip", "大客戶"]


def test_rep_removes_a_tag(login):
    rep = make_user(Role.SALES)
    (tag,) = tags.add_tags(rep, "users", rep.id, ["vip"])
    db.session.commit()
    client = login(rep)
    response = client.post(f"/tags/users/{rep.id}/{tag.id}/remove", headers=_htmx(client))
    assert response.status_code == 200 and "No tags yet." in response.get_data(as_text=True)
    assert _tag_names(rep.id) == []


def test_rep_may_not_tag_another_users_record(login):
    rep, colleague = make_user(Role.SALES), make_user(Role.SALES)
    (tag,) = tags.add_tags(colleague, "users", colleague.id, ["keep"])
    db.session.commit()
    client = login(rep)
    added = client.post(f"/tags/users/{colleague.id}", data={"name": "x"}, headers=_htmx(client))
    removed = client.post(f"/tags/users/{colleague.id}/{tag.id}/remove", headers=_htmx(client))
    assert added.status_code == removed.status_code == 403
    assert added.headers["HX-Retarget"] == "#messages"
    assert _tag_names(colleague.id) == ["keep"]


def test_an_administrator_may_tag_anyone(login):
    rep = make_user(Role.SALES)
    client = login(make_user(Role.ADMIN))
    client.post(f"/tags/users/{rep.id}", data={"name": "north"}, headers=_htmx(client))
    assert _tag_names(rep.id) == ["north"]


def test_tagging_needs_the_csrf_token(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = client.post(f"/tags/users/{rep.id}", data={"name": "vip"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Tagging.id))) == 0


def test_unknown_record_type_or_record_is_not_found(login):
    client = login(make_user(Role.ADMIN))
    assert (
        client.post("/tags/planets/1", data={"name": "x"}, headers=_htmx(client)).status_code == 404
    )
    assert (
        client.post("/tags/users/99999", data={"name": "x"}, headers=_htmx(client)).status_code
        == 404
    )


def test_bad_name_is_shown_in_the_editor(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = client.post(f"/tags/users/{rep.id}", data={"name": "x" * 61}, headers=_htmx(client))
    assert response.status_code == 200
    assert "Use at most 60 characters for a tag." in response.get_data(as_text=True)
    empty = client.post(f"/tags/users/{rep.id}", data={"name": " , "}, headers=_htmx(client))
    assert "Enter a tag name." in empty.get_data(as_text=True)


def test_without_htmx_the_editor_returns_to_the_page(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    token = csrf_token(client, "/")
    response = client.post(
        f"/tags/users/{rep.id}", data={"name": "vip", "next": "/profile", "csrf_token": token}
    )
    assert response.status_code == 302 and response.location == "/profile"
    off_site = client.post(
        f"/tags/users/{rep.id}", data={"name": "x", "next": "//evil.example", "csrf_token": token}
    )
    assert off_site.location == "/"


def test_suggest_lists_matching_tags_as_options(login):
    rep = make_user(Role.SALES)
    tags.add_tags(rep, "users", rep.id, ["North", "northwest", "south", "<script>"])
    db.session.commit()
    client = login(rep)
    html = client.get("/tags/suggest?q=nor").get_data(as_text=True)
    assert '<option value="North">' in html and '<option value="northwest">' in html
    assert "south" not in html
    assert "&lt;script&gt;" in client.get("/tags/suggest?name=%3C").get_data(as_text=True)


def test_suggest_needs_a_login(client):
    assert client.get("/tags/suggest?q=a").status_code == 302


def test_editor_macro_renders_badges_and_autocomplete(app):
    from flask import render_template_string

    rep = make_user(Role.SALES)
    tags.add_tags(rep, "users", rep.id, ["vip"])
    template = (
        '{% from "_macros/tags.html" import tag_editor %}'
        "{{ tag_editor('users', user_id, tag_list) }}"
    )
    with app.test_request_context("/somewhere"):
        html = render_template_string(
            template, user_id=rep.id, tag_list=tags.tags_for("users", [rep.id])[rep.id]
        )
    assert f'hx-post="/tags/users/{rep.id}"' in html
    assert 'hx-get="/tags/suggest"' in html and f'list="tags-users-{rep.id}-options"' in html
    assert "Remove tag vip" in html and 'style="color: #64748b"' in html
    assert 'name="next" value="/somewhere"' in html
