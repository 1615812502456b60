"""The iCalendar feed: a secret per-user token, and RFC 5545 text written by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import calendar_feed
from tests.factories import make_activity, make_user

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_token_is_an_hmac_that_regenerating_revokes():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    token = calendar_feed.token_for(rep)
    assert len(token) == 64 and token != calendar_feed.token_for(other)
    assert calendar_feed.user_for_token(rep.id, token) is rep
    assert calendar_feed.user_for_token(other.id, token) is None
    assert calendar_feed.user_for_token(rep.id, "0" * 64) is None
    new = calendar_feed.regenerate(rep, rep)
    assert new != token and calendar_feed.user_for_token(rep.id, token) is None
    assert calendar_feed.user_for_token(rep.id, new) is rep
    with pytest.raises(PermissionDenied):
        calendar_feed.regenerate(rep, other)


def test_a_deactivated_user_has_no_feed():
    rep = make_user(Role.SALES, is_active=False)
    assert calendar_feed.user_for_token(rep.id, calendar_feed.token_for(rep)) is None


def test_tasks_and_meetings_from_thirty_days_ago_become_events():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    task = make_activity(rep, subject="Send quote", due_at=NOW + timedelta(days=1))
    meeting = make_activity(
        rep,
        kind="MEETING",
        subject="Demo",
        occurred_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=1, minutes=30),
    )
    make_activity(rep, subject="Ancient", due_at=NOW - timedelta(days=31))
    make_activity(rep, kind="CALL", subject="A call")
    make_activity(other, subject="Not mine", due_at=NOW)
    lines = _unfold(calendar_feed.render(rep, now=NOW))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert lines.count("BEGIN:VEVENT") == 2
    assert f"UID:activity-{task.id}@rapport.test" in lines
    assert "DTSTART:20300302T120000Z" in lines and "DTEND:20300302T123000Z" in lines
    assert f"UID:activity-{meeting.id}@rapport.test" in lines
    assert "DTSTART:20300303T120000Z" in lines and "DTEND:20300303T133000Z" in lines
    assert "DTSTAMP:20300301T120000Z" in lines
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries == ["SUMMARY:Send quote", "SUMMARY:Demo"]


def test_text_is_escaped_and_long_lines_fold_at_75_octets_with_crlf():
    rep = make_user(Role.SALES)
    make_activity(
        rep,
        subject="Call Wong, re: price; path C:\\tmp",
        description="第一行\n" + "客戶關係管理" * 20,
        due_at=NOW,
    )
    text = calendar_feed.render(rep, now=NOW)
    assert "\n" not in text.replace("\r\n", "")
    raw_lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    assert any(line.startswith(" ") for line in raw_lines)
    text.encode().decode("utf-8")  # folding never splits a character
    lines = _unfold(text)
    assert "SUMMARY:Call Wong\\, re: price\\; path C:\\\\tmp" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert description == "DESCRIPTION:第一行\\n" + "客戶關係管理" * 20


def test_fold_keeps_short_lines_whole():
    assert calendar_feed.fold("SUMMARY:short") == "SUMMARY:short"
    folded = calendar_feed.fold("X:" + "a" * 200)
    assert [len(p) for p in folded.split("\r\n")] == [
        75,
        75,
        54,
    ]  # 202 octets: 75 + 74 + 53, each continuation after a space
