"""An administrator manages custom fields per record type and tidies tags; nobody else
reaches these pages."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import CustomField, Tag
from app.services import custom_fields, tags
from tests.conftest import csrf_token
from tests.factories import make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(login):
    admin = make_user(Role.ADMIN, email="admin@example.com")
    client = login(admin)
    client.admin = admin
    client.token = csrf_token(client, "/admin/custom-fields")
    return client


def _field(entity_type, label, field_type="text", **kwargs):
    admin = make_user(Role.ADMIN)
    field = custom_fields.define_field(admin, entity_type, label, field_type, **kwargs)
    db.session.commit()
    return field.id


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES, Role.SUPPORT])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/custom-fields"),
        ("post", "/admin/custom-fields?entity=customer"),
        ("get", "/admin/custom-fields/{id}/edit"),
        ("post", "/admin/custom-fields/{id}/active"),
        ("post", "/admin/custom-fields/{id}/move"),
        ("get", "/admin/tags"),
        ("post", "/admin/tags/{tag}/delete"),
    ],
)
def test_only_administrators_reach_custom_field_and_tag_admin(login, role, method, path):
    field_id = _field("customer", "Tier")
    admin = make_user(Role.ADMIN)
    (tag,) = tags.add_tags(admin, "users", admin.id, ["vip"])
    db.session.commit()
    client = login(make_user(role))
    token = csrf_token(client, "/")
    url = path.format(id=field_id, tag=tag.id)
    response = client.get(url) if method == "get" else client.post(url, data={"csrf_token": token})
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)
    assert db.session.get(Tag, tag.id) is not None


def test_list_shows_fields_of_the_chosen_record_type_in_order(admin_client):
    _field("lead", "Source")
    _field("lead", "Budget", "number", required=True)
    _field("ticket", "Warranty")
    html = admin_client.get("/admin/custom-fields?entity=lead").get_data(as_text=True)
    assert 'class="subnav"' in html and "Audit log" in html  # the admin nav is on top
    assert html.index("Source") < html.index("Budget")
    assert "Warranty" not in html
    assert "Required" in html and "Active" in html


def test_unknown_record_type_is_not_found(admin_client):
    assert admin_client.get("/admin/custom-fields?entity=planet").status_code == 404


def test_tabs_load_as_a_fragment(admin_client):
    _field("ticket", "Warranty")
    response = admin_client.get("/admin/custom-fields?entity=ticket", headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="custom-fields-admin">')
    assert "Warranty" in html and "<html" not in html


def test_admin_adds_a_choice_field(admin_client):
    response = admin_client.post(
        "/admin/custom-fields?entity=customer",
        data={
            "csrf_token": admin_client.token,
            "label": "Tier",
            "label_zh": "等級",
            "field_type": "choice",
            "choices": "Gold\r\nSilver\r\n\r\n",
            "required": "y",
        },
    )
    assert response.status_code == 302
    field = db.session.scalar(sa.select(CustomField).where(CustomField.key == "tier"))
    assert (field.entity_type, field.choices, field.required) == (
        "customer",
        ["Gold", "Silver"],
        True,
    )
    assert "The field “Tier” is added." in admin_client.get(response.location).get_data(
        as_text=True
    )


def test_a_choice_field_without_choices_is_shown_again_with_the_error(admin_client):
    response = admin_client.post(
        "/admin/custom-fields?entity=customer",
        data={"csrf_token": admin_client.token, "label": "Tier", "field_type": "choice"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "A choice field needs at least one choice." in html
    assert 'value="Tier"' in html
    assert db.session.scalar(sa.select(sa.func.count(CustomField.id))) == 0


def test_admin_edits_a_field(admin_client):
    field_id = _field("customer", "Tier", "choice", choices=["Gold"])
    page = admin_client.get(f"/admin/custom-fields/{field_id}/edit").get_data(as_text=True)
    assert "Gold" in page and "<code>tier</code>" in page
    response = admin_client.post(
        f"/admin/custom-fields/{field_id}/edit",
        data={
            "csrf_token": admin_client.token,
            "label": "Level",
            "label_zh": "等級",
            "choices": "Gold\nPlatinum",
        },
    )
    assert response.status_code == 302
    field = db.session.get(CustomField, field_id)
    assert (field.label, field.key, field.choices) == ("Level", "tier", ["Gold", "Platinum"])


def test_deactivate_and_reactivate_return_the_table(admin_client):
    field_id = _field("customer", "Tier")
    url = f"/admin/custom-fields/{field_id}/active"
    response = admin_client.post(
        url, data={"active": "0"}, headers=HTMX | {"X-CSRFToken": admin_client.token}
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="custom-fields-customer"')
    assert "Inactive" in html and "Reactivate" in html
    assert db.session.get(CustomField, field_id).is_active is False
    admin_client.post(url, data={"active": "1"}, headers=HTMX | {"X-CSRFToken": admin_client.token})
    db.session.expire_all()
    assert db.session.get(CustomField, field_id).is_active is True


def test_move_down_without_htmx_redirects_to_the_list(admin_client):
    first = _field("customer", "First")
    _field("customer", "Second")
    response = admin_client.post(
        f"/admin/custom-fields/{first}/move",
        data={"csrf_token": admin_client.token, "direction": "down"},
    )
    assert response.status_code == 302 and "entity=customer" in response.location
    assert [f.label for f in custom_fields.fields_for("customer")] == ["Second", "First"]


def test_posts_need_the_csrf_token(admin_client):
    field_id = _field("customer", "Tier")
    response = admin_client.post(f"/admin/custom-fields/{field_id}/active", data={"active": "0"})
    assert response.status_code == 400
    assert db.session.get(CustomField, field_id).is_active is True


def _tag(name):
    admin = make_user(Role.ADMIN)
    (tag,) = tags.add_tags(admin, "users", admin.id, [name])
    db.session.commit()
    return tag.id


def test_tags_page_lists_tags_with_usage(admin_client):
    _tag("vip")
    _tag("VIP")
    html = admin_client.get("/admin/tags").get_data(as_text=True)
    assert "vip" in html and ">2<" in html
    assert "Merge into" in html


def test_admin_renames_merges_and_deletes_tags(admin_client):
    vip, gold, old = _tag("vip"), _tag("gold"), _tag("old")
    headers = HTMX | {"X-CSRFToken": admin_client.token}

    renamed = admin_client.post(
        f"/admin/tags/{vip}", data={"name": "VIP", "color": "#16a34a"}, headers=headers
    )
    assert "The tag “VIP” is saved." in renamed.get_data(as_text=True)

    clash = admin_client.post(f"/admin/tags/{gold}", data={"name": "vip"}, headers=headers)
    assert "merge into it instead" in clash.get_data(as_text=True)

    merged = admin_client.post(f"/admin/tags/{gold}/merge", data={"into": "vip"}, headers=headers)
    assert "“gold” is merged into “VIP”." in merged.get_data(as_text=True)

    unknown = admin_client.post(f"/admin/tags/{old}/merge", data={"into": "nope"}, headers=headers)
    assert "There is no tag named “nope”." in unknown.get_data(as_text=True)

    deleted = admin_client.post(f"/admin/tags/{old}/delete", headers=headers)
    assert deleted.get_data(as_text=True).lstrip().startswith('<section id="tags-admin">')
    assert [t.name for t in db.session.scalars(sa.select(Tag))] == ["VIP"]


def test_tag_rename_without_htmx_flashes_and_redirects(admin_client):
    vip = _tag("vip")
    response = admin_client.post(
        f"/admin/tags/{vip}", data={"csrf_token": admin_client.token, "name": "  "}
    )
    assert response.status_code == 302
    assert "Enter a tag name." in admin_client.get(response.location).get_data(as_text=True)
