"""An administrator finds, creates, edits, deactivates and reactivates staff users; nobody
else reaches the administration pages."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Role, User
from tests.conftest import csrf_token, post_form
from tests.factories import NON_ADMIN_ROLES, PASSWORD, make_team, make_user


@pytest.fixture
def admin(login):
    user = make_user(role=Role.ADMIN, name="Ada Admin", email="ada@example.com")
    login(user)
    return user


def sign_in(app, user, password=PASSWORD):
    """A second browser, signed in as `user`."""
    other = app.test_client()
    response = other.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(other)},
    )
    assert response.status_code == 302 and response.location == "/"
    return other


def fresh(model, key):
    """`model` `key` as the database has it now (after the requests' own transactions)."""
    db.session.commit()
    return db.session.get(model, key)


def user_form(**fields):
    """The new-user form as an administrator fills it in, with `fields` changed."""
    filled = {"name": "Nora New", "email": "nora@example.com", "role": "sales", "locale": "en"}
    return filled | {"team_id": ""} | fields


# --- who may come in ---------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/admin/users"),
    ("GET", "/admin/users?q=a&role=sales"),
    ("GET", "/admin/users/new"),
    ("GET", "/admin/users/{victim}/edit"),
    ("POST", "/admin/users/new"),
    ("POST", "/admin/users/{victim}/edit"),
    ("POST", "/admin/users/{victim}/deactivate"),
    ("POST", "/admin/users/{victim}/reactivate"),
    ("POST", "/admin/users/{victim}/password-link"),
]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_only_administrators_reach_the_user_pages(client, login, role, method, path):
    victim = make_user(role=Role.SALES, name="Victor Victim")
    login(make_user(role=role))
    url = path.format(victim=victim.id)
    if method == "GET":
        response = client.get(url)
    else:
        data = user_form(name="Hacked", email="hacked@example.com", role="admin", password="x" * 12)
        response = post_form(client, url, data)
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)
    victim = fresh(User, victim.id)
    assert victim.name == "Victor Victim" and victim.is_active and victim.role is Role.SALES
    assert User.query.filter_by(email="hacked@example.com").first() is None


def test_every_administration_url_refuses_a_manager(app, client, login):
    """Whatever pages the admin area grows, a manager gets 403 on each, for each method."""
    login(make_user(role=Role.MANAGER))
    token = csrf_token(client, "/")
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    assert len(rules) >= 10
    for rule in rules:
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 403, (method, url)


def test_refusal_is_a_full_page_or_an_htmx_message(client, login):
    login(make_user(role=Role.SALES))

    page = client.get("/admin/users")
    assert page.status_code == 403
    assert "<html" in page.get_data(as_text=True)

    fragment = client.get("/admin/users?q=x", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 403
    assert fragment.headers["HX-Retarget"] == "#messages"
    assert 'id="error-403"' in html and "<html" not in html

    refused_post = client.post(
        "/admin/users/new",
        data=user_form(),
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")},
    )
    assert refused_post.status_code == 403
    assert refused_post.headers["HX-Retarget"] == "#messages"


# --- finding users -----------------------------------------------------------------------


def test_admin_searches_users_as_they_type(client, admin):
    make_user(name="Ana Lee", email="ana@example.com")
    make_user(name="Bob Stone", email="bob@example.com")

    page = client.get("/admin/users").get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms' in page and 'hx-push-url="true"' in page
    assert "Ana Lee" in page and "Bob Stone" in page

    response = client.get("/admin/users?q=ANA", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and html.lstrip().startswith('<div id="user-results">')
    assert "Ana Lee" in html and "Bob Stone" not in html

    by_email = client.get("/admin/users?q=bob@", headers={"HX-Request": "true"})
    assert "Bob Stone" in by_email.get_data(as_text=True)


def test_search_treats_wildcards_literally(client, admin):
    make_user(name="Ana Lee")
    html = client.get("/admin/users?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ana Lee" not in html and "No users match." in html


def test_admin_filters_by_role_team_and_status(client, admin):
    north = make_team("North")
    make_user(name="Nina North", role=Role.SUPPORT, team=north)
    make_user(name="Tom Teamless", role=Role.SALES)
    make_user(name="Gus Gone", role=Role.SALES, is_active=False)

    def names(query):
        html = client.get(f"/admin/users?{query}", headers={"HX-Request": "true"}).get_data(
            as_text=True
        )
        return set(re.findall(r">((?:Nina|Tom|Gus|Ada) \w+)</a>", html))

    assert names("role=support") == {"Nina North"}
    assert names(f"team={north.id}") == {"Nina North"}
    assert names("team=none&role=sales") == {"Tom Teamless", "Gus Gone"}
    assert names("active=inactive") == {"Gus Gone"}
    assert names("active=active&role=sales") == {"Tom Teamless"}
    assert names("role=wizard") == {"Nina North", "Tom Teamless", "Gus Gone", "Ada Admin"}


def test_long_lists_page_by_name(client, admin):
    for n in range(55):
        make_user(name=f"Member {n:02d}")
    first = client.get("/admin/users?q=member").get_data(as_text=True)
    assert first.count('<tr id="user-') == 50
    assert "Member 49" in first and "Member 50" not in first
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('<tr id="user-') == 5
    assert "Member 50" in second and "Member 54" in second and "Member 49" not in second
    assert 'rel="next"' not in second


# --- creating users ----------------------------------------------------------------------


def test_admin_creates_a_user_in_a_team_who_can_then_sign_in(app, client, admin):
    team = make_team("Sales North")
    db.session.commit()
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert "Sales North" in form

    response = post_form(
        client,
        "/admin/users/new",
        user_form(team_id=str(team.id), password="a long initial password", locale="zh_Hant"),
    )
    assert response.status_code == 302 and response.location == "/admin/users"
    assert "Nora New can now sign in." in client.get("/admin/users").get_data(as_text=True)

    nora = User.query.filter_by(email="nora@example.com").one()
    assert (nora.team, nora.role, nora.locale) == (team, Role.SALES, "zh_Hant")
    assert sign_in(app, nora, "a long initial password").get("/").status_code == 200


def test_creating_a_user_is_audited_without_the_password(client, admin):
    post_form(client, "/admin/users/new", user_form(password="a long initial password"))
    nora = User.query.filter_by(email="nora@example.com").one()
    entry = AuditEntry.query.filter_by(entity_type="users", entity_id=str(nora.id)).one()
    assert entry.action is AuditAction.CREATE
    assert (entry.actor_id, entry.source) == (admin.id, "web")
    assert entry.changes["email"] == [None, "nora@example.com"]
    assert entry.changes["password_hash"] == [None, "••••••"]
    assert "a long initial password" not in str(entry.changes)


def test_user_created_without_a_password_gets_a_link_to_choose_one(
    app, client, admin, worker, smtp
):
    response = post_form(client, "/admin/users/new", user_form())
    assert response.status_code == 302
    assert "nora@example.com will get a link" in client.get("/admin/users").get_data(as_text=True)
    nora = User.query.filter_by(email="nora@example.com").one()
    assert nora.password_hash == ""

    worker()
    assert [message["To"] for message in smtp] == ["nora@example.com"]
    link = re.search(r"http://rapport.test(/reset-password/\S+)", smtp[0].get_content()).group(1)
    newcomer = app.test_client()
    chosen = "nora chose this password"
    done = newcomer.post(
        link,
        data={"password": chosen, "confirm": chosen, "csrf_token": csrf_token(newcomer, link)},
    )
    assert done.status_code == 302
    assert sign_in(app, nora, chosen).get("/").status_code == 200


def test_duplicate_email_is_shown_on_the_email_field(client, admin):
    make_user(email="nora@example.com")
    response = post_form(client, "/admin/users/new", user_form(email="Nora@Example.com"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="email-errors"[^>]*>Another user already has this email address.', html)
    assert User.query.filter_by(name="Nora New").first() is None


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"name": ""}, "name", "Enter the user's name."),
        ({"email": ""}, "email", "Enter an email address."),
        ({"email": "nora-at-example"}, "email", "Enter a valid email address"),
        ({"password": "short"}, "password", "Use between 10 and 200 characters."),
        ({"role": "wizard"}, "role", "Not a valid choice"),
        ({"team_id": "999"}, "team_id", "Not a valid choice"),
    ],
)
def test_invalid_user_form_says_what_is_wrong(client, admin, fields, field, message):
    response = post_form(client, "/admin/users/new", user_form(**fields))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = re.search(rf'id="{field}-errors"[^>]*>([^<]*)<', html)
    assert errors and message in errors.group(1)
    assert User.query.filter_by(name="Nora New").first() is None


# --- editing, deactivating, reactivating -------------------------------------------------


def test_admin_moves_a_user_to_another_team_and_role(client, admin):
    team = make_team("Support Desk")
    sam = make_user(name="Sam Seller", role=Role.SALES)
    page = client.get(f"/admin/users/{sam.id}/edit").get_data(as_text=True)
    assert 'value="Sam Seller"' in page

    response = post_form(
        client,
        f"/admin/users/{sam.id}/edit",
        user_form(
            name="Sam Support", email=sam.email, role="support", team_id=str(team.id), is_active="y"
        ),
    )
    assert response.status_code == 302
    sam = fresh(User, sam.id)
    assert (sam.name, sam.role, sam.team, sam.is_active) == (
        "Sam Support",
        Role.SUPPORT,
        team,
        True,
    )
    entry = AuditEntry.query.filter_by(entity_type="users", action=AuditAction.UPDATE).one()
    assert entry.changes["role"] == ["sales", "support"] and entry.actor_id == admin.id


def test_deactivated_user_is_signed_out_at_once(app, client, admin):
    sam = make_user(name="Sam Seller")
    sams_browser = sign_in(app, sam)
    assert sams_browser.get("/").status_code == 200

    response = post_form(
        client, f"/admin/users/{sam.id}/deactivate", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith(f'<tr id="user-{sam.id}">') and "Deactivated" in html
    assert 'hx-swap-oob="innerHTML:#messages"' in html and "signed out everywhere" in html

    next_request = sams_browser.get("/")
    assert next_request.status_code == 302 and next_request.location.startswith("/login")
    refused = sams_browser.post(
        "/login",
        data={"email": sam.email, "password": PASSWORD, "csrf_token": csrf_token(sams_browser)},
    )
    assert refused.status_code == 200


def test_reactivated_user_can_sign_in_again(app, client, admin):
    sam = make_user(name="Sam Seller", is_active=False)
    response = post_form(client, f"/admin/users/{sam.id}/reactivate")
    assert response.status_code == 302 and response.location == "/admin/users"
    assert "Sam Seller is active again." in client.get("/admin/users").get_data(as_text=True)
    assert sign_in(app, sam).get("/").status_code == 200


def test_deactivating_from_the_edit_form_also_ends_sessions(app, client, admin):
    sam = make_user(name="Sam Seller")
    sams_browser = sign_in(app, sam)
    post_form(client, f"/admin/users/{sam.id}/edit", user_form(name=sam.name, email=sam.email))
    assert fresh(User, sam.id).is_active is False
    assert sams_browser.get("/").status_code == 302


def test_admin_cannot_deactivate_or_demote_themselves(client, admin):
    mine = f"/admin/users/{admin.id}/edit"
    keep = {"name": admin.name, "email": admin.email}

    off = post_form(client, mine, user_form(role="admin", **keep)).get_data(as_text=True)
    assert re.search(r'id="is_active-errors"[^>]*>You cannot deactivate yourself.', off)

    demoted = post_form(client, mine, user_form(role="sales", is_active="y", **keep))
    assert re.search(
        r'id="role-errors"[^>]*>You cannot change your own role.', demoted.get_data(as_text=True)
    )

    button = post_form(
        client, f"/admin/users/{admin.id}/deactivate", headers={"HX-Request": "true"}
    )
    assert "You cannot deactivate yourself." in button.get_data(as_text=True)

    me = fresh(User, admin.id)
    assert me.is_active and me.role is Role.ADMIN
    assert client.get("/admin/users").status_code == 200


def test_admin_sends_an_existing_user_a_password_link(client, admin, worker, smtp):
    sam = make_user(name="Sam Seller", email="sam@example.com")
    response = post_form(client, f"/admin/users/{sam.id}/password-link")
    assert response.status_code == 302
    worker()
    assert [message["To"] for message in smtp] == ["sam@example.com"]


def test_unknown_user_is_not_found(client, admin):
    assert client.get("/admin/users/999/edit").status_code == 404
    assert post_form(client, "/admin/users/999/deactivate").status_code == 404


def test_nobody_grants_a_role_above_their_own():
    """Even a manager trusted to manage users cannot create or promote an administrator."""
    from app import permissions
    from app.permissions import Scope
    from app.services import accounts

    for action in ("create", "edit"):
        permissions.set_grant(Role.MANAGER, "user", action, Scope.ALL)
    db.session.commit()
    manager = make_user(role=Role.MANAGER)
    sam = make_user(role=Role.SALES)

    with pytest.raises(accounts.RoleAboveOwn):
        accounts.create_user(
            actor=manager, email="boss@example.com", name="Boss", role=Role.ADMIN, password=None
        )
    with pytest.raises(accounts.RoleAboveOwn):
        accounts.update_user(sam, actor=manager, role=Role.ADMIN)
    accounts.update_user(sam, actor=manager, role=Role.MANAGER)
    assert sam.role is Role.MANAGER
    assert (
        db.session.execute(sa.select(User).where(User.email == "boss@example.com")).first() is None
    )
