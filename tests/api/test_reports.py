"""Reports over the API: the catalogue the caller may read, and the same figures the page
shows (exact decimals as strings), with bad filters refused and other people's records
never counted."""

from datetime import timedelta

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.factories import make_opportunity, make_team, make_user


def _closed(owner, stage, amount, days_ago=5):
    deal = make_opportunity(owner, stage=stage, amount=amount)
    deal.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return deal


def test_the_catalogue_lists_readable_reports_with_their_filters(client, token_for):
    rep = make_user(Role.SALES)
    body = client.get("/api/v1/reports", headers=token_for(rep)).get_json()
    win_rate = next(report for report in body if report["key"] == "win-rate")
    assert win_rate["family"] == "sales" and win_rate["definition"]
    assert "period" in win_rate["filters"] and set(win_rate["groups"]) == {
        "rep",
        "source",
        "product",
        "size",
    }
    assert "REFERRAL" in win_rate["channels"]


def test_a_report_gives_the_page_figures_for_the_callers_records(client, token_for):
    team = make_team()
    amy = make_user(Role.SALES, team=team, name="Amy Rep")
    ben = make_user(Role.SALES, team=team, name="Ben Rep")
    _closed(amy, "CLOSED_WON", "1000.50")
    _closed(amy, "CLOSED_LOST", "200")
    _closed(ben, "CLOSED_WON", "300")
    response = client.get("/api/v1/reports/win-rate?period=last_12_months", headers=token_for(amy))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["report"] == "win-rate" and body["filters"]["period"] == "last_12_months"
    assert [c["key"] for c in body["columns"]] == ["group", "won", "lost", "rate"]
    assert body["rows"] == [{"group": "Amy Rep", "won": 1, "lost": 1, "rate": "50.0"}]
    assert body["figures"][2] == {"label": "Win rate", "value": "50.0", "kind": "percent",
                                  "hint": ""}  # fmt: skip
    assert body["chart"]["kind"] == "hbar"
    sizes = client.get(
        "/api/v1/reports/win-rate?group=size", headers=token_for(make_user(Role.ADMIN))
    ).get_json()
    assert sizes["rows"] == [{"group": "Under 10,000", "won": 2, "lost": 1, "rate": "66.7"}]


def test_bad_filters_answer_422_with_a_message_per_filter(client, token_for):
    headers = token_for(make_user(Role.MANAGER))
    response = client.get(
        "/api/v1/reports/win-rate?period=custom&start=2026-05-01&end=2026-04-01&group=moon",
        headers=headers,
    )
    body = assert_error(response, 422, "unprocessable_entity")
    assert set(body["error"]["fields"]) == {"end", "group"}


def test_unknown_or_unreadable_reports_are_not_found(client, token_for):
    marketer = make_user(Role.MARKETING)
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    headers = token_for(marketer)
    assert_error(client.get("/api/v1/reports/win-rate", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/reports/nonsense", headers=headers), 404, "not_found")
    keys = [r["key"] for r in client.get("/api/v1/reports", headers=headers).get_json()]
    assert "win-rate" not in keys


def test_reports_need_a_token(client):
    assert client.get("/api/v1/reports/win-rate").status_code == 401
