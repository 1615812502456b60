"""The filters every report page offers (those a report takes): a period, a team, an owner,
a product, a region (the country of a customer's billing address), a channel and a
segment. Parsed from a query string (the page, the API, a scheduled email's stored
filters) with a clear message for each bad value; a bad value is ignored, never guessed.

Periods are local days in the installation's default time zone, `start` included and
`end` excluded, like app.services.targets' periods."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.identity import Team, User
from app.models.marketing import Segment
from app.models.sales import Product
from app.services import targets

PERIODS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
    "last_year": _l("Last year"),
    "last_12_months": _l("Last 12 months"),
    "last_36_months": _l("Last 3 years"),
    "custom": _l("Custom dates"),
}
DEFAULT_PERIOD = "last_12_months"
NAMES = ("period", "team", "owner", "product", "region", "channel", "segment")
MAX_DAYS = 366 * 10


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_dates(key: str, today: date) -> tuple[date, date]:
    """[start, end) of a named period around `today`."""
    month = today.replace(day=1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return {
        "this_month": (month, add_months(month, 1)),
        "last_month": (add_months(month, -1), month),
        "this_quarter": (quarter, add_months(quarter, 3)),
        "last_quarter": (add_months(quarter, -3), quarter),
        "this_year": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "last_year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "last_12_months": (add_months(month, -11), add_months(month, 1)),
        "last_36_months": (add_months(month, -35), add_months(month, 1)),
    }[key]


@dataclasses.dataclass(frozen=True)
class Filters:
    period: str
    start: date
    end: date  # the first day after the period
    team_id: int | None = None
    owner_id: int | None = None
    product_id: int | None = None
    region: str = ""  # ISO country code
    channel: str = ""
    segment_id: int | None = None
    group: str = ""  # how the rows are grouped, for reports that offer a choice

    def moments(self) -> tuple[datetime, datetime]:
        """The period as UTC moments [from, to)."""
        return targets.day_bounds(self.start, self.end)

    def months(self) -> list[date]:
        """The first days of the months the period touches, oldest first."""
        first, months = self.start.replace(day=1), []
        while first < self.end:
            months.append(first)
            first = add_months(first, 1)
        return months

    @property
    def last_day(self) -> date:
        """The period's last day (`end` is the day after)."""
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def currency(self) -> str:
        return current_app.config["DEFAULT_CURRENCY"]

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments (only those set), for links and storage."""
        values = {"period": self.period}
        if self.period == "custom":
            values |= {"start": self.start.isoformat(), "end": self.last_day.isoformat()}
        for name, value in (
            ("team", self.team_id),
            ("owner", self.owner_id),
            ("product", self.product_id),
            ("region", self.region),
            ("channel", self.channel),
            ("segment", self.segment_id),
            ("group", self.group),
        ):
            if value not in (None, ""):
                values[name] = str(value)
        return values

    def segment_members(self):
        """A SELECT of the ids of the chosen segment's members (contact or lead ids, as
        the report's segment entity says), or None when no segment is chosen."""
        if self.segment_id is None:
            return None
        from app.services import segments

        segment = db.session.get(Segment, self.segment_id)
        model = segments.model_for(segment.entity)
        return sa.select(model.id).where(segments.member_clause(segment))

    def owned(self, actor, entity: str, owner_column, team_column=None, person_column=None):
        """Rows of `entity` the reader may read, narrowed to the chosen team and owner.
        For records kept in team queues (`team_column`, tickets), a team's rows are those in
        its queue or with one of its members; `person_column` is the person the team and
        owner filters look at when it is not the owner (a ticket's first replier)."""
        clauses = [permissions.visible(actor, entity, owner_column, team_column=team_column)]
        person = owner_column if person_column is None else person_column
        if self.team_id is not None:
            members = person.in_(sa.select(User.id).where(User.team_id == self.team_id))
            in_queue = team_column == self.team_id if team_column is not None else None
            clauses.append(members if in_queue is None else sa.or_(in_queue, members))
        if self.owner_id is not None:
            clauses.append(person == self.owner_id)
        return sa.and_(*clauses)


def _date(raw, name: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        errors[name] = gettext("Enter a date like 2026-01-31.")
        return None


def _record_id(raw, model, name: str, errors: dict, message: str) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or db.session.get(model, int(text)) is None:
        errors[name] = message
        return None
    return int(text)


def parse(
    args: Mapping,
    allowed: Iterable[str] = NAMES,
    channels: Iterable[str] = (),
    groups: Iterable[str] = (),
    today=None,
    segment_entity: str = "",
) -> tuple[Filters, dict[str, str]]:
    """Filters from query-string `args`, keeping only the `allowed` names, and a message
    for each value refused (that filter is then left unset). `channels` and `groups` are
    the values the report's channel and grouping choices accept (its first grouping is
    the default)."""
    allowed, errors = set(allowed), {}
    today = today or targets.today()
    period = str(args.get("period") or DEFAULT_PERIOD)
    if period not in PERIODS:
        errors["period"] = gettext("Choose one of the periods offered.")
        period = DEFAULT_PERIOD
    if period != "custom" and args.get("dates_for") == period:
        # The form showed this period's dates and the reader changed them: their dates.
        first, after = period_dates(period, today)
        shown = (first.isoformat(), date.fromordinal(after.toordinal() - 1).isoformat())
        if (args.get("start"), args.get("end")) != shown:
            period = "custom"
    if period == "custom":
        start = _date(args.get("start"), "start", errors)
        last = _date(args.get("end"), "end", errors)
        if start and last and last < start:
            errors["end"] = gettext("The end date must not be before the start date.")
        elif start and last and (last - start).days > MAX_DAYS:
            errors["end"] = gettext("Choose a period of at most ten years.")
        if start and last and not errors:
            end = date.fromordinal(last.toordinal() + 1)
        else:
            period = DEFAULT_PERIOD
    if period != "custom":
        start, end = period_dates(period, today)
    values = {}
    if "team" in allowed:
        values["team_id"] = _record_id(
            args.get("team"), Team, "team", errors, gettext("Choose a team from the list.")
        )
    if "owner" in allowed:
        values["owner_id"] = _record_id(
            args.get("owner"), User, "owner", errors, gettext("Choose a person from the list.")
        )
    if "product" in allowed:
        values["product_id"] = _record_id(
            args.get("product"), Product, "product", errors, gettext("Choose a product.")
        )
    if "segment" in allowed:
        values["segment_id"] = _record_id(
            args.get("segment"), Segment, "segment", errors, gettext("Choose a segment.")
        )
        chosen = values["segment_id"] and db.session.get(Segment, values["segment_id"])
        if chosen and segment_entity and chosen.entity.value != segment_entity:
            errors["segment"] = (
                gettext("Choose a segment of leads.")
                if segment_entity == "LEAD"
                else gettext("Choose a segment of contacts.")
            )
            values["segment_id"] = None
    if "region" in allowed:
        region = str(args.get("region") or "").strip().upper()
        if region and not (len(region) == 2 and region.isalpha()):
            errors["region"] = gettext("Enter a two-letter country code, like TW.")
            region = ""
        values["region"] = region
    if "channel" in allowed:
        channel = str(args.get("channel") or "").strip().upper()
        if channel and channel not in set(channels):
            errors["channel"] = gettext("Choose one of the channels offered.")
            channel = ""
        values["channel"] = channel
    groups = list(groups)
    if groups:
        group = str(args.get("group") or groups[0])
        if group not in groups:
            errors["group"] = gettext("Choose one of the groupings offered.")
            group = groups[0]
        values["group"] = group
    return Filters(period=period, start=start, end=end, **values), errors
