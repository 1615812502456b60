"""The lead assignment rule pages: managers and administrators list, create, edit, reorder
(plain POST or htmx) and delete rules; sales reps cannot; the web-to-lead page shows the
snippets to embed the public form."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import AssignmentRule, LeadSource
from app.services import lead_assignment
from tests.conftest import htmx_post, post_form
from tests.factories import make_assignment_rule, make_team, make_user


def _names() -> list[str]:
    db.session.expire_all()
    return [rule.name for rule in lead_assignment.rules_in_order()]


def test_a_manager_creates_a_rule_and_sees_it_in_the_list(client, login):
    manager = make_user(Role.MANAGER)
    team = make_team("Inside sales")
    db.session.commit()
    login(manager)

    form = client.get("/assignment-rules/new")
    assert form.status_code == 200 and 'name="team_id"' in form.get_data(as_text=True)
    response = post_form(
        client,
        "/assignment-rules/new",
        {
            "name": "Web leads from Taiwan",
            "source": "WEB_FORM",
            "country": "tw",
            "team_id": str(team.id),
            "user_id": "",
            "is_active": "y",
        },
    )

    assert response.status_code == 302
    rule = db.session.scalars(sa.select(AssignmentRule)).one()
    assert (rule.source, rule.country, rule.team_id) == (LeadSource.WEB_FORM, "TW", team.id)
    page = client.get("/assignment-rules").get_data(as_text=True)
    assert "Web leads from Taiwan" in page and "Inside sales, in turn" in page


def test_bad_input_is_shown_on_the_form(client, login):
    manager = make_user(Role.MANAGER)
    login(manager)

    response = post_form(
        client,
        "/assignment-rules/new",
        {"name": "", "country": "Taiwan", "user_id": str(manager.id), "team_id": ""},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a name for the rule." in html and "two-letter country code" in html
    assert db.session.scalar(sa.select(sa.func.count(AssignmentRule.id))) == 0


def test_a_manager_edits_a_rule(client, login):
    manager = make_user(Role.MANAGER)
    rule = make_assignment_rule(manager, name="Old", user_id=manager.id)
    login(manager)

    assert 'value="Old"' in client.get(f"/assignment-rules/{rule.id}/edit").get_data(as_text=True)
    response = post_form(
        client,
        f"/assignment-rules/{rule.id}/edit",
        {"name": "New", "industry": "Retail", "user_id": str(manager.id), "team_id": ""},
    )

    assert response.status_code == 302
    db.session.expire_all()
    rule = db.session.get(AssignmentRule, rule.id)
    assert (rule.name, rule.industry, rule.is_active) == ("New", "Retail", False)


def test_rules_move_with_a_plain_post_or_with_htmx(client, login):
    admin = make_user(Role.ADMIN)
    first = make_assignment_rule(admin, name="First", user_id=admin.id)
    second = make_assignment_rule(admin, name="Second", user_id=admin.id)
    login(admin)

    response = post_form(client, f"/assignment-rules/{second.id}/move", {"direction": "up"})
    assert response.status_code == 302
    assert _names() == ["Second", "First"]

    response = htmx_post(client, f"/assignment-rules/{second.id}/move", {"direction": "down"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="assignment-rules"' in html and "<html" not in html
    assert html.index("First") < html.index("Second")
    assert _names() == ["First", "Second"]
    assert (
        htmx_post(client, f"/assignment-rules/{first.id}/move", {"direction": "x"}).status_code
        == 400
    )


def test_delete_asks_for_confirmation_then_deletes(client, login):
    manager = make_user(Role.MANAGER)
    rule = make_assignment_rule(manager, name="Doomed", user_id=manager.id)
    login(manager)

    page = client.get(f"/assignment-rules/{rule.id}/delete")
    assert page.status_code == 200 and "Delete Doomed?" in page.get_data(as_text=True)
    assert _names() == ["Doomed"]
    response = post_form(client, f"/assignment-rules/{rule.id}/delete")
    assert response.status_code == 302
    assert _names() == []


def test_sales_reps_may_not_see_or_change_the_rules(client, login):
    rep = make_user(Role.SALES)
    rule = make_assignment_rule(name="Theirs", user_id=rep.id)
    login(rep)

    for path in ("/assignment-rules", "/assignment-rules/new", "/web-to-lead"):
        assert client.get(path).status_code == 403
    assert (
        post_form(client, f"/assignment-rules/{rule.id}/move", {"direction": "up"}).status_code
        == 403
    )
    assert post_form(client, f"/assignment-rules/{rule.id}/delete").status_code == 403
    assert _names() == ["Theirs"]


def test_the_pages_need_a_sign_in(client):
    response = client.get("/assignment-rules")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_web_to_lead_page_shows_both_snippets(client, login):
    login(make_user(Role.MANAGER))

    html = client.get("/web-to-lead").get_data(as_text=True)

    assert "&lt;iframe src=&#34;http://rapport.test/forms/lead&#34;" in html
    assert (
        "&lt;form method=&#34;post&#34; action=&#34;http://rapport.test/forms/lead&#34;&gt;" in html
    )
    assert "website_url" in html


def test_administrators_reach_the_rules_from_the_admin_navigation(client, login):
    login(make_user(Role.ADMIN))

    html = client.get("/admin/users").get_data(as_text=True)

    assert 'href="/assignment-rules"' in html
