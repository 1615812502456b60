"""Computed reports are kept a few minutes and shared only by readers who would get the
same figures: the same read scope on every entity the report reads, the same filters, the
same language. A fresh run recomputes; without Redis every view computes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from app import permissions, queues
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.services import reports
from app.services.reports import store
from tests.factories import make_opportunity, make_team, make_user


def _won(owner, amount="100"):
    deal = make_opportunity(owner, stage="CLOSED_WON", amount=amount)
    deal.closed_at = utcnow() - timedelta(days=2)
    db.session.commit()


def _won_count(actor, fresh=False):
    report = reports.get("win-rate")
    filters, _ = report.parse_filters({"period": "last_12_months"})
    computed = store.run(report, filters, actor, fresh=fresh)
    return computed.from_cache, sum(row["won"] for row in computed.result.rows)


@pytest.fixture
def people():
    north, south = make_team("North"), make_team("South")
    return {
        "amy": make_user(Role.SALES, north),
        "ben": make_user(Role.SALES, north),
        "meg": make_user(Role.MANAGER, north),
        "max": make_user(Role.MANAGER, north),
        "sue": make_user(Role.MANAGER, south),
    }


def test_readers_of_the_same_scope_share_a_result_and_others_do_not(people):
    _won(people["amy"])
    assert _won_count(people["meg"]) == (False, 1)
    _won(people["ben"])
    assert _won_count(people["max"]) == (True, 1)  # Meg's team result, kept
    assert _won_count(people["sue"]) == (False, 0)  # another team: her own
    assert _won_count(people["ben"]) == (False, 1)  # a rep's own deals: his own
    assert _won_count(people["amy"]) == (False, 1)
    assert _won_count(people["meg"], fresh=True) == (False, 2)
    assert _won_count(people["max"]) == (True, 2)


def test_other_entities_the_report_reads_are_part_of_the_scope(people):
    csat = reports.get("csat-by-agent")
    assert csat.also_reads == ("survey",)
    first = store.report_scope(people["meg"], csat)
    permissions.set_grant(Role.MANAGER, "survey", "read", permissions.Scope.NONE)
    db.session.commit()
    assert store.report_scope(people["meg"], csat) != first


def test_without_redis_every_view_computes(people, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise redis.ConnectionError("Redis is down")

        set = get

    _won(people["amy"])
    monkeypatch.setattr(queues, "connection", Down)
    assert _won_count(people["meg"]) == (False, 1)
    assert _won_count(people["meg"]) == (False, 1)


def test_a_report_that_reads_stored_results_is_never_kept(people):
    forecast = reports.get("sales-forecast")
    assert forecast.keep is False
    report = reports.get("win-rate")
    filters, _ = report.parse_filters({})
    store.run(report, filters, people["meg"])
    assert any(queues.connection().scan_iter("rapport:report:*"))
    filters, _ = forecast.parse_filters({})
    first = store.run(forecast, filters, people["meg"])
    second = store.run(forecast, filters, people["meg"])
    assert not first.from_cache and not second.from_cache
