"""The custom report builder against a small hand-made data set whose answers were worked
out by hand: every record type lists, groups and adds up; filters of each type; sums per
currency, never across; dates by month; a rep sees only their own records, a manager their
team's; bad definitions are refused with a message for each bad part; fields that are not
on the allowlist (password hashes, search text) can never be selected, filtered, grouped
or sorted; custom fields work like the others."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.sql import visitors

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.identity import Role
from app.models.records import FieldType
from app.models.sales import Opportunity
from app.services import custom_fields, report_builder, report_entities, report_queries, targets
from app.services import report_fields as rf
from app.services.validation import RecordInvalid
from tests.factories import (
    make_activity,
    make_contact,
    make_customer,
    make_lead,
    make_opportunity,
    make_order,
    make_quote,
    make_team,
    make_ticket,
    make_user,
)
from tests.marketing_factories import make_campaign


def _deal(owner, name, stage, amount, currency="USD", close=None, created=None, **fields):
    deal = make_opportunity(
        owner, name=name, stage=stage, amount=str(amount), currency=currency, **fields
    )
    deal.expected_close_date = close
    if created is not None:
        deal.created_at = created
    db.session.commit()
    return deal


@pytest.fixture
def sales():
    """Team North: reps Amy and Ben, manager Mia; Olga sells in another team.

    Amy: A1 prospecting 1,000 USD (closes 2026-01-20), A2 proposal 2,500 USD (2026-02-10),
         A3 proposal 500 EUR (2026-02-25)
    Ben: B1 closed won 4,000 USD (2026-04-01)
    Olga: O1 proposal 9,999 USD (no close date)
    """
    north, south = make_team("North"), make_team("South")
    amy = make_user(Role.SALES, team=north, name="Amy Rep")
    ben = make_user(Role.SALES, team=north, name="Ben Rep")
    mia = make_user(Role.MANAGER, team=north, name="Mia Manager")
    olga = make_user(Role.SALES, team=south, name="Olga Rep")
    acme = make_customer(amy, name="Acme")
    _deal(amy, "A1", "PROSPECTING", 1000, close=date(2026, 1, 20), customer=acme)
    _deal(amy, "A2", "PROPOSAL", 2500, close=date(2026, 2, 10), customer=acme)
    _deal(amy, "A3", "PROPOSAL", 500, "EUR", close=date(2026, 2, 25), customer=acme)
    _deal(ben, "B1", "CLOSED_WON", 4000, close=date(2026, 4, 1))
    _deal(olga, "O1", "PROPOSAL", 9999)
    return {"amy": amy, "ben": ben, "mia": mia, "olga": olga, "north": north}


def run(viewer, entity="opportunities", **definition):
    return report_builder.run(entity, definition, viewer)


def names(result, key="name"):
    return sorted(row[key] for row in result.rows)


def grouped(result):
    return [tuple(row[c.key] for c in result.columns) for row in result.rows]


USD = [{"field": "currency", "op": "eq", "value": "USD"}]


def test_a_listing_shows_the_chosen_columns_of_the_records_one_may_read(sales):
    result = run(sales["mia"], columns=["name", "stage", "amount", "owner"], filters=USD,
                 sort={"field": "amount", "direction": "desc"})  # fmt: skip
    assert [c.key for c in result.columns] == ["name", "stage", "amount", "owner"]
    assert [c.kind for c in result.columns] == ["text", "text", "money", "text"]
    # Olga's deal is another team's; the EUR deal is filtered out: one currency, money.
    assert [(r["name"], r["stage"], r["amount"], r["owner"]) for r in result.rows] == [
        ("B1", "Closed won", Decimal("4000.00"), "Ben Rep"),
        ("A2", "Proposal", Decimal("2500.00"), "Amy Rep"),
        ("A1", "Prospecting", Decimal("1000.00"), "Amy Rep"),
    ]
    assert result.currency == "USD" and result.notes == [] and result.chart is None


def test_a_rep_sees_only_their_own_records(sales):
    assert names(run(sales["amy"], columns=["name"])) == ["A1", "A2", "A3"]
    assert names(run(sales["ben"], columns=["name"])) == ["B1"]
    assert names(run(sales["mia"], columns=["name"])) == ["A1", "A2", "A3", "B1"]
    assert names(run(make_user(Role.ADMIN), columns=["name"])) == ["A1", "A2", "A3", "B1", "O1"]
    by_stage = run(sales["ben"], group_by="stage")
    assert grouped(by_stage) == [("Closed won", 1)]


def test_amounts_in_several_currencies_are_listed_with_their_currency(sales):
    result = run(sales["amy"], columns=["name", "amount"], sort={"field": "name"})
    assert [c.key for c in result.columns] == ["name", "amount", "currency"]
    assert result.column("amount").kind == "number" and result.currency == ""
    assert [(r["name"], r["amount"], r["currency"]) for r in result.rows] == [
        ("A1", Decimal("1000.00"), "USD"),
        ("A2", Decimal("2500.00"), "USD"),
        ("A3", Decimal("500.00"), "EUR"),
    ]
    assert result.notes == ["Amounts are in each record's own currency; they are never converted."]


def test_grouping_by_stage_sums_each_currency_apart(sales):
    result = run(sales["mia"], group_by="stage", aggregate={"fn": "sum", "field": "amount"})
    # Stages in their own order; the EUR proposal is its own row, never added to USD.
    assert [c.key for c in result.columns] == ["group", "currency", "count", "value"]
    assert grouped(result) == [
        ("Prospecting", "USD", 1, Decimal("1000.00")),
        ("Proposal", "EUR", 1, Decimal("500.00")),
        ("Proposal", "USD", 1, Decimal("2500.00")),
        ("Closed won", "USD", 1, Decimal("4000.00")),
    ]
    assert result.chart is None and result.totals is None
    assert result.notes == [
        "Amounts are added up per currency, never converted between currencies."
    ]


def test_one_currency_gives_money_a_chart_and_totals(sales):
    result = run(sales["mia"], filters=USD, group_by="stage",
                 aggregate={"fn": "sum", "field": "amount"})  # fmt: skip
    assert grouped(result) == [
        ("Prospecting", 1, Decimal("1000.00")),
        ("Proposal", 1, Decimal("2500.00")),
        ("Closed won", 1, Decimal("4000.00")),
    ]
    assert result.currency == "USD" and result.column("value").kind == "money"
    assert result.column("value").label == "Sum of Amount"
    assert result.chart.kind == "hbar" and result.chart.value_keys == ("value",)
    assert result.totals == {"group": "Total", "count": 3, "value": Decimal("7500.00")}


def test_average_lowest_and_highest(sales):
    def value(fn, field="amount"):
        result = run(sales["mia"], filters=USD, aggregate={"fn": fn, "field": field})
        assert len(result.rows) == 1 and result.figures[0].value == 3
        return result.rows[0]["value"]

    # 1,000 + 2,500 + 4,000 = 7,500 over 3 deals.
    assert value("avg") == Decimal("2500.00")
    assert value("min") == Decimal("1000.00") and value("max") == Decimal("4000.00")
    assert value("min", "expected_close_date") == date(2026, 1, 20)
    assert value("max", "expected_close_date") == date(2026, 4, 1)
    # The stages' default probabilities: 10 + 50 + 100 over 3.
    assert value("avg", "probability") == Decimal("53.33")


def test_grouping_by_a_date_counts_per_month_including_empty_months(sales):
    result = run(make_user(Role.ADMIN), group_by="expected_close_date")
    # January 1, February 2, March none, April 1; O1 has no date.
    assert result.column("group").kind == "month"
    assert grouped(result) == [
        (date(2026, 1, 1), 1),
        (date(2026, 2, 1), 2),
        (date(2026, 4, 1), 1),
        (None, 1),
    ]
    assert result.chart.kind == "line"


def test_moments_group_by_month_in_the_installations_time_zone(sales, app):
    amy = sales["amy"]
    zone = app.config["DEFAULT_TIME_ZONE"]
    app.config["DEFAULT_TIME_ZONE"] = "Asia/Taipei"
    try:
        # 2026-02-28 20:00 UTC is already March 1st in Taipei (UTC+8).
        lead = make_lead(amy, last_name="Late")
        lead.created_at = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
        early = make_lead(amy, last_name="Early")
        early.created_at = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
        db.session.commit()
        result = run(amy, "leads", group_by="created_at")
        assert grouped(result) == [(date(2026, 1, 1), 1), (date(2026, 3, 1), 1)]
    finally:
        app.config["DEFAULT_TIME_ZONE"] = zone


def test_long_spans_group_by_year(sales):
    amy = sales["amy"]
    _deal(amy, "Old", "PROSPECTING", 10, close=date(2019, 6, 1))
    result = run(amy, group_by="expected_close_date")
    assert result.column("group").kind == "text"
    assert grouped(result) == [("2019", 1), ("2026", 3)]
    assert "grouped by year" in result.notes[0]


def test_filters_of_each_type(sales):
    mia = sales["mia"]

    def deals(*filters):
        return names(run(mia, columns=["name"], filters=list(filters)))

    assert deals({"field": "name", "op": "contains", "value": "a"}) == ["A1", "A2", "A3"]
    assert deals({"field": "name", "op": "eq", "value": "b1"}) == ["B1"]  # case-insensitive
    assert deals({"field": "owner", "op": "starts_with", "value": "ben"}) == ["B1"]
    assert deals({"field": "customer", "op": "eq", "value": "Acme"}) == ["A1", "A2", "A3"]
    assert deals({"field": "amount", "op": "gte", "value": "2500"}) == ["A2", "B1"]
    assert deals({"field": "amount", "op": "lt", "value": 1000}) == ["A3"]
    assert deals({"field": "stage", "op": "in", "value": ["PROPOSAL", "CLOSED_WON"]}) == [
        "A2",
        "A3",
        "B1",
    ]
    assert deals({"field": "stage", "op": "ne", "value": "PROPOSAL"}) == ["A1", "B1"]
    day = {"field": "expected_close_date"}
    assert deals(day | {"op": "before", "value": "2026-02-10"}) == ["A1"]
    assert deals(day | {"op": "after", "value": "2026-02-10"}) == ["A3", "B1"]
    assert deals(day | {"op": "is_empty"}) == []
    assert deals({"field": "closed_at", "op": "within_days", "value": 3}) == ["B1"]
    assert deals({"field": "closed_at", "op": "older_than_days", "value": 3}) == []
    # Two filters: both must hold.
    assert deals({"field": "currency", "op": "eq", "value": "USD"},
                 {"field": "owner", "op": "contains", "value": "amy"}) == ["A1", "A2"]  # fmt: skip


def test_calendar_dates_within_the_last_days_exclude_the_days_to_come(sales):
    amy = sales["amy"]
    today = targets.today()
    _deal(amy, "Soon", "PROSPECTING", 1, close=today + timedelta(days=2))
    _deal(amy, "Lately", "PROSPECTING", 1, close=today - timedelta(days=2))
    within = {"field": "expected_close_date", "op": "within_days", "value": 5}
    assert names(run(amy, columns=["name"], filters=[within])) == ["Lately"]


def test_boolean_and_text_filters_on_contacts(sales):
    amy = sales["amy"]
    acme = db.session.scalar(sa.select(Customer).where(Customer.name == "Acme"))
    make_contact(amy, acme, first_name="Pat", last_name="Primary", is_primary=True)
    make_contact(amy, acme, first_name="Sam", last_name="Second", email="")
    primary = run(amy, "contacts", columns=["last_name", "is_primary", "customer"],
                  filters=[{"field": "is_primary", "op": "is_true"}])  # fmt: skip
    assert primary.rows == [{"last_name": "Primary", "is_primary": "Yes", "customer": "Acme"}]
    others = run(amy, "contacts", columns=["last_name"],
                 filters=[{"field": "is_primary", "op": "is_false"}])  # fmt: skip
    assert names(others, "last_name") == ["Second"]
    no_email = run(amy, "contacts", columns=["last_name"],
                   filters=[{"field": "email", "op": "is_empty"}])  # fmt: skip
    assert names(no_email, "last_name") == ["Primary", "Second"]


def test_text_groups_put_the_biggest_first_and_empty_values_together(sales):
    amy = sales["amy"]
    for industry in ("Retail", "Retail", "", "Mining"):
        make_customer(amy, name=f"Shop {industry}", industry=industry)
    result = run(amy, "customers", group_by="industry")
    # Acme and the shop with no industry are one "(not set)" group, after an equal one.
    assert grouped(result) == [("Retail", 2), ("(not set)", 2), ("Mining", 1)]
    assert result.totals == {"group": "Total", "count": 5}


@pytest.fixture
def every_record(sales):
    """One record of each type, owned by Amy (an administrator reads them all)."""
    amy = sales["amy"]
    customer = make_customer(amy, name="Beta", industry="Retail")
    make_contact(amy, customer, first_name="Kim", last_name="Lee")
    make_lead(amy, last_name="Lead", company="Gamma", employees=12, source="REFERRAL")
    make_quote(amy, customer, title="Q", lines=[{"name": "Widget", "quantity": "2",
                                                  "unit_price": "100"}])  # fmt: skip
    make_order(amy, customer, lines=[{"name": "Widget", "quantity": "1", "unit_price": "50"}])
    make_ticket(make_user(Role.SUPPORT), subject="Broken")
    make_activity(amy, "CALL", subject="Call Beta", occurred_at=utcnow())
    make_campaign(amy, name="Spring", budget=Decimal("300"))
    return make_user(Role.ADMIN)


@pytest.mark.parametrize("entity", list(report_entities.ENTITIES))
def test_every_record_type_lists_groups_and_adds_up(every_record, entity):
    admin = every_record
    fields = rf.fields_for(report_entities.ENTITIES[entity], admin)
    listing = run(admin, entity, columns=list(fields)[: report_builder.MAX_COLUMNS],
                  sort={"field": list(fields)[0], "direction": "desc"})  # fmt: skip
    assert listing.rows and set(listing.rows[0]) >= set(list(fields)[: report_builder.MAX_COLUMNS])
    for field in fields.values():
        if field.groupable:
            result = run(admin, entity, group_by=field.key)
            assert sum(row["count"] for row in result.rows) == sum(
                row["count"] for row in run(admin, entity, aggregate={"fn": "count"}).rows
            ), field.key
        for fn, types in rf.FUNCTION_TYPES.items():
            if field.type in types:
                assert run(admin, entity, aggregate={"fn": fn, "field": field.key}).rows
        run(admin, entity, columns=[field.key], sort={"field": field.key, "direction": "asc"})


@pytest.mark.parametrize(
    "definition, key, message",
    [
        ({"columns": ["password_hash"]}, "columns", "There is no field “password_hash”"),
        ({"columns": ["owner.password_hash"]}, "columns", "There is no field"),
        ({"columns": ["search_text"]}, "columns", "There is no field “search_text”"),
        ({"columns": [["name"]]}, "columns", "Choose the columns from the list."),
        ({"columns": "name"}, "columns", "Choose the columns from the list."),
        ({"columns": []}, "columns", "Choose at least one column to show, or a grouping."),
        ({"columns": ["name"], "filters": [{"field": "password_hash", "op": "eq", "value": "x"}]},
         "filters.0", "Filter 1: There is no field “password_hash”"),
        ({"columns": ["name"], "filters": [{"field": "amount", "op": "contains", "value": "1"}]},
         "filters.0", "“contains” does not apply to Amount."),
        ({"columns": ["name"], "filters": [{"field": "amount", "op": "gt", "value": "lots"}]},
         "filters.0", "Enter a number"),
        ({"columns": ["name"], "filters": [{"field": "probability", "op": "gt", "value": "1.5"}]},
         "filters.0", "Enter a whole number."),
        ({"columns": ["name"], "filters": [{"field": "stage", "op": "eq", "value": "WON"}]},
         "filters.0", "Choose a value from the list."),
        ({"columns": ["name"], "filters": [{"field": "closed_at", "op": "before", "value": "x"}]},
         "filters.0", "Enter a date"),
        ({"columns": ["name"], "filters": [{"field": "name", "op": ""}]},
         "filters.0", "Choose how to compare Name."),
        ({"columns": ["name"], "filters": [{"field": "name", "op": "eq", "value": "  "}]},
         "filters.0", "Enter a value to compare with."),
        ({"columns": ["name"], "filters": "x"}, "filters", "The filters are not in a known form."),
        ({"columns": ["name"], "filters": [{}] * 21}, "filters", "Use at most 20 filters."),
        ({"group_by": "password_hash"}, "group_by", "There is no field"),
        ({"group_by": "amount"}, "group_by", "Records cannot be grouped by Amount."),
        ({"group_by": "stage", "aggregate": {"fn": "median", "field": "amount"}}, "aggregate",
         "Choose count, sum, average, lowest or highest."),
        ({"group_by": "stage", "aggregate": {"fn": "sum", "field": "name"}}, "aggregate",
         "Sum does not apply to Name."),
        ({"group_by": "stage", "aggregate": {"fn": "sum", "field": "password_hash"}},
         "aggregate", "There is no field"),
        ({"group_by": "stage", "aggregate": {"fn": "sum"}}, "aggregate",
         "Choose a field for the sum."),
        ({"columns": ["name"], "sort": {"field": "password_hash"}}, "sort", "There is no field"),
        ({"columns": ["name"], "sort": {"field": "name", "direction": "up"}}, "sort",
         "Sort ascending or descending."),
    ],
)  # fmt: skip
def test_bad_definitions_are_refused_with_a_message_for_each_part(sales, definition, key, message):
    with pytest.raises(RecordInvalid) as refused:
        report_builder.validate("opportunities", definition, sales["mia"])
    assert message in refused.value.errors[key]


def test_at_most_twenty_columns(sales):
    leads = list(rf.fields_for(report_entities.ENTITIES["leads"], sales["mia"]))
    assert len(leads) > report_builder.MAX_COLUMNS
    with pytest.raises(RecordInvalid) as refused:
        report_builder.validate("leads", {"columns": leads}, sales["mia"])
    assert refused.value.errors == {"columns": "Choose at most 20 columns."}


def test_every_bad_part_is_named_at_once_and_blank_filter_rows_are_ignored(sales):
    definition = {
        "columns": ["name", "nope"],
        "filters": [{"field": "", "op": "", "value": ""}, {"field": "stage", "op": "gt"}],
        "group_by": "amount",
    }
    with pytest.raises(RecordInvalid) as refused:
        report_builder.validate("opportunities", definition, sales["mia"])
    assert set(refused.value.errors) == {"columns", "filters.1", "group_by"}
    clean = report_builder.validate(
        "opportunities", {"columns": ["name"], "filters": [{"field": ""}]}, sales["mia"]
    )
    assert clean == {"columns": ["name"], "filters": [], "group_by": None, "aggregate": None,
                     "sort": None}  # fmt: skip


def test_record_types_and_fields_follow_the_readers_rights(sales):
    marketer = make_user(Role.MARKETING)
    support = make_user(Role.SUPPORT)
    assert "tickets" not in [e.key for e in report_entities.entities_for(marketer)]
    assert "leads" not in [e.key for e in report_entities.entities_for(support)]
    with pytest.raises(RecordInvalid) as refused:
        report_builder.run("tickets", {"columns": ["subject"]}, marketer)
    assert refused.value.errors == {"entity": "Choose one of the record types offered."}
    with pytest.raises(RecordInvalid):
        report_builder.run("users", {"columns": ["email"]}, make_user(Role.ADMIN))
    # Without the right to read customers, a deal's customer is not offered.
    permissions.set_grant(Role.MARKETING, "customer", "read", permissions.Scope.NONE)
    db.session.commit()
    fields = rf.fields_for(report_entities.ENTITIES["opportunities"], marketer)
    assert "customer" not in fields and "country" not in fields and "name" in fields
    with pytest.raises(RecordInvalid) as refused:
        run(marketer, columns=["name", "customer"])
    assert "There is no field “customer”" in refused.value.errors["columns"]


def test_no_listed_field_reads_a_secret_or_internal_column():
    forbidden = {"password_hash", "search_text", "email_key", "pdf_file", "token_hash",
                 "stored_name", "session_version", "email_message_id"}  # fmt: skip
    for entity in report_entities.ENTITIES.values():
        for field in entity.fields:
            expr = field.expr
            element = expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr
            read = {node.name for node in visitors.iterate(element) if isinstance(node, sa.Column)}
            assert read and not read & forbidden, (entity.key, field.key, read)
            assert field.key not in forbidden


@pytest.fixture
def custom(sales):
    admin = make_user(Role.ADMIN)
    seats = custom_fields.define_field(admin, "opportunity", "Seats", FieldType.NUMBER)
    tier = custom_fields.define_field(
        admin, "opportunity", "Tier", FieldType.CHOICE, choices=["Gold", "Silver"]
    )
    renewal = custom_fields.define_field(admin, "opportunity", "Renewal", FieldType.CHECKBOX)
    signed = custom_fields.define_field(admin, "opportunity", "Signed on", FieldType.DATE)
    db.session.commit()
    values = {
        "A1": {seats.key: "10", tier.key: "Gold", renewal.key: True, signed.key: "2026-01-05"},
        "A2": {seats.key: "2.5", tier.key: "Gold", signed.key: "2026-02-01"},
        "A3": {seats.key: "4", tier.key: "Silver", renewal.key: False},
    }
    for deal in db.session.scalars(sa.select(Opportunity)):
        if deal.name in values:
            deal.custom = values[deal.name]
    db.session.commit()
    fields = {"seats": seats, "tier": tier, "renewal": renewal, "signed": signed}
    return {name: "custom." + field.key for name, field in fields.items()}


def test_custom_fields_can_be_shown_filtered_grouped_and_added_up(sales, custom):
    amy = sales["amy"]
    listing = run(amy, columns=["name", custom["seats"], custom["tier"], custom["renewal"],
                               custom["signed"]], sort={"field": "name"})  # fmt: skip
    assert [list(row.values()) for row in listing.rows] == [
        ["A1", Decimal("10"), "Gold", "Yes", date(2026, 1, 5)],
        ["A2", Decimal("2.5"), "Gold", None, date(2026, 2, 1)],
        ["A3", Decimal("4"), "Silver", "No", None],
    ]
    by_tier = run(amy, group_by=custom["tier"], aggregate={"fn": "sum", "field": custom["seats"]})
    assert grouped(by_tier) == [("Gold", 2, Decimal("12.5")), ("Silver", 1, Decimal("4"))]
    big = run(amy, columns=["name"], filters=[{"field": custom["seats"], "op": "gt", "value": "3"}])
    assert names(big) == ["A1", "A3"]
    renewals = run(amy, columns=["name"], filters=[{"field": custom["renewal"], "op": "is_true"}])
    assert names(renewals) == ["A1"]
    before = {"field": custom["signed"], "op": "before", "value": "2026-01-31"}
    early = run(amy, columns=["name"], filters=[before])
    assert names(early) == ["A1"]
    by_month = run(amy, group_by=custom["signed"])
    assert grouped(by_month) == [(date(2026, 1, 1), 1), (date(2026, 2, 1), 1), (None, 1)]
    with pytest.raises(RecordInvalid) as refused:
        run(
            amy,
            columns=["name"],
            filters=[{"field": custom["tier"], "op": "eq", "value": "Bronze"}],
        )
    assert "Choose a value from the list." in refused.value.errors["filters.0"]


def test_a_listing_is_capped_and_says_so(sales, monkeypatch):
    monkeypatch.setattr(report_queries, "LIMIT", 2)
    result = run(sales["mia"], columns=["name"])
    assert len(result.rows) == 2  # newest first
    assert names(result) == ["A3", "B1"]
    assert result.notes == [
        "Only the first 2 records are shown: narrow the filters to see the others."
    ]


def test_the_definition_reads_as_a_sentence(sales):
    words = report_builder.describe(
        "opportunities",
        {"filters": [{"field": "stage", "op": "in", "value": ["PROPOSAL", "CLOSED_WON"]},
                     {"field": "closed_at", "op": "within_days", "value": 30}],
         "group_by": "owner", "aggregate": {"fn": "sum", "field": "amount"}},
        sales["mia"],
    )  # fmt: skip
    assert words == (
        "Opportunities you may read, where Stage is any of Proposal, Closed won; Closed is "
        "within the last (days) 30; grouped by Owner: count and sum of Amount."
    )
