"""The home dashboard's panels: what each role starts with, a user's own choice, panels a
user may not read (never offered, stored or served), the figures of the sales panels
worked out by hand, and the cache: shared by readers of one scope and language, never
across scopes, and filled ahead by the warm-up.

Team North: manager Mia and manager Mo, reps Amy and Ben; team South: manager Max and
rep Cal. This month (in the installation's time zone): Amy won 2,000.00 USD and
500.00 EUR, Ben won 1,000.00 USD and lost a deal, Cal won 7,000.00 USD; North's target
for the month is 10,000.00 USD."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from flask_babel import force_locale

from app import permissions, queues
from app.extensions import db
from app.models.analytics import DashboardLayout
from app.models.base import utcnow
from app.models.identity import Role
from app.models.orders import TargetPeriod
from app.services import dashboard_cache, dashboards, targets
from app.services.validation import RecordInvalid
from tests.factories import (
    make_activity,
    make_opportunity,
    make_order,
    make_product,
    make_team,
    make_user,
)


def this_month_noon():
    """Noon on the first day of this month, local time: inside "this month" whenever the
    test runs."""
    first = targets.today().replace(day=1)
    return targets.day_bounds(first, first)[0] + timedelta(hours=12)


def closed(owner, stage, amount, currency="USD"):
    deal = make_opportunity(owner, stage=stage, amount=amount, currency=currency)
    deal.closed_at = this_month_noon()
    db.session.commit()
    return deal


@pytest.fixture
def people():
    north, south = make_team("North"), make_team("South")
    people = {
        "mia": make_user(Role.MANAGER, north, name="Mia"),
        "mo": make_user(Role.MANAGER, north, name="Mo"),
        "amy": make_user(Role.SALES, north, name="Amy"),
        "ben": make_user(Role.SALES, north, name="Ben"),
        "max": make_user(Role.MANAGER, south, name="Max"),
        "cal": make_user(Role.SALES, south, name="Cal"),
        "meg": make_user(Role.MARKETING, name="Meg"),
        "sue": make_user(Role.SUPPORT, north, name="Sue"),
        "ada": make_user(Role.ADMIN, name="Ada"),
    }
    closed(people["amy"], "CLOSED_WON", "2000")
    closed(people["amy"], "CLOSED_WON", "500", "EUR")
    closed(people["ben"], "CLOSED_WON", "1000")
    closed(people["ben"], "CLOSED_LOST", "300")
    closed(people["cal"], "CLOSED_WON", "7000")
    targets.set_target(
        people["ada"],
        team_id=north.id,
        period=TargetPeriod.MONTH,
        period_start=targets.today().replace(day=1),
        amount="10000",
        currency="USD",
    )
    db.session.commit()
    return people


def keys(panels):
    return [panel.key for panel in panels]


def figures(shown):
    return {figure.label: figure.value for figure in shown.result.figures}


def cached_keys():
    return sorted(key.decode() for key in queues.connection().keys("rapport:dashboard:*"))


# -- Layouts -----------------------------------------------------------------------------


def test_every_panel_of_the_catalogue_and_the_defaults_exists():
    assert None not in dashboards.CATALOGUE  # each report panel found its report
    for role, defaults in dashboards.ROLE_DEFAULTS.items():
        assert set(defaults) <= set(dashboards.PANELS), role


def test_each_role_starts_with_its_defaults(people):
    assert keys(dashboards.layout(people["mia"])) == list(dashboards.ROLE_DEFAULTS[Role.MANAGER])
    assert keys(dashboards.layout(people["mia"]))[:2] == ["won-vs-target", "pipeline"]
    assert keys(dashboards.layout(people["amy"]))[0] == "my-tasks"
    assert keys(dashboards.layout(people["sue"]))[:2] == ["ticket-queues", "my-tasks"]
    assert "campaign-roi" in keys(dashboards.layout(people["meg"]))
    assert "ticket-queues" in keys(dashboards.layout(people["ada"]))


def test_a_default_the_role_may_not_read_is_left_out(people):
    permissions.set_grant(Role.SUPPORT, "ticket", "read", permissions.Scope.NONE)
    db.session.commit()
    assert keys(dashboards.layout(people["sue"])) == ["my-tasks"]


def test_a_users_choice_is_kept_in_order_and_can_be_reset(people):
    amy = people["amy"]
    dashboards.save_layout(amy, ["pipeline", "sales-funnel", "my-tasks"])
    db.session.commit()
    assert keys(dashboards.layout(amy)) == ["pipeline", "sales-funnel", "my-tasks"]
    assert db.session.get(DashboardLayout, amy.id).panels == [
        "pipeline",
        "sales-funnel",
        "my-tasks",
    ]
    assert keys(dashboards.layout(people["ben"]))[0] == "my-tasks"  # others keep theirs
    dashboards.save_layout(amy, [])
    assert dashboards.layout(amy) == []  # an empty dashboard is a choice too
    dashboards.reset_layout(amy)
    assert keys(dashboards.layout(amy)) == list(dashboards.ROLE_DEFAULTS[Role.SALES])


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (["pipeline", "no-such-panel"], "These panels cannot be added: no-such-panel."),
        (["ticket-queues"], "These panels cannot be added: ticket-queues."),  # no ticket rights
        (["pipeline", "pipeline"], "Choose each panel once."),
    ],
)
def test_bad_choices_are_refused_and_nothing_is_stored(people, choice, message):
    with pytest.raises(RecordInvalid) as refused:
        dashboards.save_layout(people["meg"], choice)
    assert refused.value.errors == {"panels": message}
    assert db.session.get(DashboardLayout, people["meg"].id) is None


def test_too_many_panels_are_refused(people, monkeypatch):
    monkeypatch.setattr(dashboards, "MAX_PANELS", 2)
    with pytest.raises(RecordInvalid, match="Choose at most 2 panels."):
        dashboards.save_layout(people["ada"], ["pipeline", "top-deals", "win-rate"])


def test_a_panel_the_user_may_not_read_is_never_offered_shown_or_served(people):
    meg, amy = people["meg"], people["amy"]
    assert "ticket-queues" not in keys(dashboards.offered(meg))  # marketing reads no tickets
    with pytest.raises(permissions.PermissionDenied):
        dashboard_cache.show(dashboards.get("ticket-queues"), meg)
    # A rep chose product sales, then lost the right to read orders.
    dashboards.save_layout(amy, ["product-sales", "pipeline"])
    permissions.set_grant(Role.SALES, "order", "read", permissions.Scope.NONE)
    db.session.commit()
    assert "product-sales" not in keys(dashboards.offered(amy))
    assert keys(dashboards.layout(amy)) == ["pipeline"]
    with pytest.raises(permissions.PermissionDenied):
        dashboard_cache.show(dashboards.get("product-sales"), amy)


# -- Figures -----------------------------------------------------------------------------


def test_won_vs_target_for_a_team_manager(people):
    shown = dashboard_cache.show(dashboards.get("won-vs-target"), people["mia"], "this_month")
    # North won 2,000 + 1,000 in USD; the EUR deal is listed apart; 3,000 / 10,000.
    assert figures(shown) == {
        "Won": Decimal("3000.00"),
        "Deals won": 2,
        "Target": Decimal("10000.00"),
        "Attainment": Decimal("30.0"),
    }
    assert shown.result.notes == [
        "1 deal in EUR is left out (other currencies are never converted)."
    ]
    # A year has no target of its own: the figure is won alone, and the panel says why.
    year = dashboard_cache.show(dashboards.get("won-vs-target"), people["mia"], "this_year")
    assert figures(year)["Target"] is None and figures(year)["Attainment"] is None
    assert "Targets are set per month or quarter" in year.result.notes[-1]


def test_a_rep_sees_their_own_figures_and_the_admin_everybodys(people):
    amy = dashboard_cache.show(dashboards.get("won-vs-target"), people["amy"], "this_month")
    assert figures(amy)["Won"] == Decimal("2000.00") and figures(amy)["Target"] is None
    ada = dashboard_cache.show(dashboards.get("won-vs-target"), people["ada"], "this_month")
    assert figures(ada)["Won"] == Decimal("10000.00")  # 2,000 + 1,000 + 7,000
    assert figures(ada)["Target"] == Decimal("10000.00")  # the sum of the teams' targets


def test_a_report_panel_shows_the_first_rows_and_says_how_many_more(people):
    mia = people["mia"]
    products = [make_product(mia, name=f"Item {n}") for n in range(7)]
    for rank, product in enumerate(products, 1):
        make_order(
            people["amy"],
            lines=[{"product_id": product.id, "quantity": str(rank), "unit_price": "1000"}],
            order_date=targets.today().isoformat(),
        )
    shown = dashboard_cache.show(dashboards.get("product-sales"), mia, "this_month")
    assert [row["product"] for row in shown.result.rows] == [
        "Item 6", "Item 5", "Item 4", "Item 3", "Item 2"
    ]  # fmt: skip
    assert shown.result.notes[0] == "2 more rows in the full report."
    endpoint, args = shown.panel.link(shown.filters)
    assert endpoint == "reports.show" and args == {"key": "product-sales", "period": "this_month"}


def test_personal_panels_count_the_readers_own_work_and_are_never_cached(people):
    amy = people["amy"]
    make_activity(amy, subject="Call back Acme", due_at=utcnow() - timedelta(hours=2))
    make_activity(amy, subject="Send the proposal")
    make_activity(people["ben"], subject="Not Amy's")
    shown = dashboard_cache.show(dashboards.get("my-tasks"), amy)
    assert figures(shown) == {"Overdue": 1, "Today": 0, "Upcoming": 1}  # due tomorrow
    assert [row["subject"] for row in shown.result.rows] == ["Call back Acme", "Send the proposal"]
    assert cached_keys() == []


# -- Cache -------------------------------------------------------------------------------


def test_readers_of_one_scope_share_a_result_and_other_scopes_do_not(people):
    panel = dashboards.get("win-rate")
    first = dashboard_cache.show(panel, people["mia"], "this_month")
    assert not first.from_cache
    assert [(r["group"], r["won"], r["lost"]) for r in first.result.rows] == [
        ("Amy", 2, 0),  # the EUR deal counts: a win rate adds no money
        ("Ben", 1, 1),
    ]
    closed(people["amy"], "CLOSED_LOST", "100")  # the cached result does not know it yet
    second = dashboard_cache.show(panel, people["mo"], "this_month")  # the other North manager
    assert second.from_cache and second.result.rows == first.result.rows
    assert second.computed_at == first.computed_at
    south = dashboard_cache.show(panel, people["max"], "this_month")
    assert not south.from_cache and [r["group"] for r in south.result.rows] == ["Cal"]
    ben = dashboard_cache.show(panel, people["ben"], "this_month")  # a rep: his own deals only
    assert not ben.from_cache and [r["group"] for r in ben.result.rows] == ["Ben"]
    fresh = dashboard_cache.show(panel, people["mo"], "this_month", fresh=True)
    assert not fresh.from_cache and ("Amy", 2, 1) in [
        (r["group"], r["won"], r["lost"]) for r in fresh.result.rows
    ]
    assert cached_keys() == sorted(
        f"rapport:dashboard:v1:win-rate:{first.filters.start}:{first.filters.end}:{scope}:en"
        for scope in (f"team:{people['mia'].team_id}", f"team:{people['max'].team_id}",
                      f"own:{people['ben'].id}")
    )  # fmt: skip


def test_the_cache_is_per_language_and_period_and_keeps_amounts_exact(people, app):
    panel = dashboards.get("won-vs-target")
    english = dashboard_cache.show(panel, people["mia"], "this_month")
    again = dashboard_cache.show(panel, people["mia"], "this_month")
    assert again.from_cache and figures(again) == figures(english)
    assert isinstance(figures(again)["Won"], Decimal)
    assert not dashboard_cache.show(panel, people["mia"], "this_quarter").from_cache
    with force_locale("zh_Hant"):
        chinese = dashboard_cache.show(panel, people["mia"], "this_month")
    assert not chinese.from_cache
    key = cached_keys()[0]
    ttl = queues.connection().ttl(key)
    assert 0 < ttl <= app.config["RAPPORT_REPORT_CACHE_SECONDS"]


def test_warm_up_fills_the_cache_for_active_users_once_per_scope(people):
    for name in ("mia", "mo", "max"):
        people[name].last_login_at = utcnow() - timedelta(days=1)
    people["cal"].last_login_at = utcnow() - timedelta(days=90)  # not active lately
    db.session.commit()
    counts = dashboard_cache.warm_dashboards()
    shared = [
        key for key in dashboards.ROLE_DEFAULTS[Role.MANAGER] if not dashboards.PANELS[key].personal
    ]
    # Mia and Mo share North's results; Max has South's.
    assert counts == {"users": 3, "results": 2 * len(shared), "failed": 0}
    for name in ("mia", "mo", "max"):
        for panel in dashboards.layout(people[name]):
            assert dashboard_cache.show(panel, people[name]).from_cache, (name, panel.key)
    assert not dashboard_cache.show(dashboards.get("won-vs-target"), people["cal"]).from_cache


def test_the_warm_up_job_fills_the_cache(people, worker):
    from app.jobs.dashboards import warm_dashboards

    people["mia"].last_login_at = utcnow()
    db.session.commit()
    job = queues.enqueue(warm_dashboards, actor=None, title="Warm the dashboards")
    worker()
    job.refresh()
    assert job.is_finished and job.return_value()["users"] == 1
    assert dashboard_cache.show(dashboards.get("sales-funnel"), people["mia"]).from_cache


def test_without_redis_panels_are_computed_on_every_view(people, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise redis.ConnectionError("Redis is down")

        set = get

    monkeypatch.setattr(queues, "connection", Down)
    panel = dashboards.get("won-vs-target")
    for _ in range(2):
        shown = dashboard_cache.show(panel, people["mia"], "this_month")
        assert not shown.from_cache and figures(shown)["Won"] == Decimal("3000.00")


def test_a_failing_panel_does_not_stop_the_warm_up(people, monkeypatch):
    def broken(filters, actor):
        raise ZeroDivisionError("a bug in a report")

    monkeypatch.setitem(
        dashboards.PANELS,
        "win-rate",
        dataclasses.replace(dashboards.PANELS["win-rate"], compute=broken),
    )
    people["mia"].last_login_at = utcnow()
    db.session.commit()
    counts = dashboard_cache.warm_dashboards()
    assert counts["failed"] == 1 and counts["results"] > 0
    assert dashboard_cache.show(dashboards.get("pipeline"), people["mia"]).from_cache
