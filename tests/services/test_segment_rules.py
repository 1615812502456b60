"""Segment conditions compiled to SQL, checked against a small hand-made audience whose
answers are known: every field family (person, customer, custom fields, tags, activities,
campaign behaviour, behaviour events, consent, dates), AND/OR groups, the validation
messages, and a count that is one SELECT however many families a definition mixes."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.identity import Role
from app.models.marketing import (
    CampaignRecipient,
    EventKind,
    MarketingEvent,
    RecipientStatus,
    SegmentEntity,
)
from app.models.sales import Lead
from app.services import custom_fields, segment_rules, segments, tags
from app.services.validation import RecordInvalid
from tests.factories import make_activity, make_contact, make_customer, make_lead, make_user
from tests.marketing_factories import make_campaign, make_preference

CONTACT, LEAD = SegmentEntity.CONTACT, SegmentEntity.LEAD


def one(field, op, value=None) -> dict:
    return {"match": "all", "groups": [{"match": "all", "conditions": [cond(field, op, value)]}]}


def cond(field, op, value=None) -> dict:
    return {"field": field, "op": op, "value": value}


@pytest.fixture
def people():
    """Three contacts and two leads with known facts."""
    admin = make_user(Role.ADMIN)
    now = utcnow()
    for label, kind in (
        ("Region code", "text"),
        ("Seats", "number"),
        ("Renewal", "date"),
        ("Newsletter", "checkbox"),
    ):
        custom_fields.define_field(admin, "contact", label, kind)
    custom_fields.define_field(admin, "lead", "Budget", "number")
    acme = make_customer(
        admin,
        name="Acme",
        status="CUSTOMER",
        industry="Software",
        size="LARGE",
        rating="HOT",
        addresses=[{"kind": "BILLING", "country": "tw", "city": "Taipei"}],
    )
    acme.abc_class = "A"
    beta = make_customer(
        admin,
        name="Beta",
        status="PROSPECT",
        industry="Retail",
        size="SMALL",
        rating="COLD",
        addresses=[{"kind": "BILLING", "country": "US"}, {"kind": "SHIPPING", "country": "TW"}],
    )
    beta.abc_class = "C"
    ann = make_contact(
        admin,
        acme,
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        title="CTO",
        department="IT",
        custom={
            "region_code": "north",
            "seats": "120",
            "renewal": "2030-01-01",
            "newsletter": True,
        },
    )
    bob = make_contact(admin, beta, first_name="Bob", last_name="Chan", title="Buyer")
    cy = make_contact(admin, first_name="Cy", last_name="Wu", email=" CY@Example.com ")
    bob.created_at = now - timedelta(days=40)
    tags.add_tags(admin, "contacts", ann.id, ["VIP"])
    tags.add_tags(admin, "contacts", cy.id, ["vip", "Partner"])
    tags.add_tags(admin, "customers", acme.id, ["Key account"])
    make_activity(admin, "CALL", contact_id=ann.id, occurred_at=now - timedelta(days=5))
    make_activity(admin, "NOTE", contact_id=bob.id, occurred_at=now - timedelta(days=60))
    # A task planned for next week is not an activity "in the last N days".
    make_activity(admin, "TASK", contact_id=cy.id, due_at=now + timedelta(days=7))
    spring = make_campaign(admin, name="Spring")
    autumn = make_campaign(admin, name="Autumn")
    recipients = [
        CampaignRecipient(
            campaign_id=spring.id,
            contact_id=ann.id,
            email="ann@example.com",
            status=RecipientStatus.SENT,
            sent_at=now - timedelta(days=3),
            opened_at=now - timedelta(days=2),
            clicked_at=now - timedelta(days=2),
        ),
        CampaignRecipient(
            campaign_id=autumn.id,
            contact_id=bob.id,
            email="bob@example.com",
            status=RecipientStatus.SENT,
            sent_at=now - timedelta(days=100),
            opened_at=now - timedelta(days=99),
        ),
        CampaignRecipient(
            campaign_id=autumn.id,
            contact_id=cy.id,
            email="cy@example.com",
            status=RecipientStatus.SKIPPED,
        ),
    ]
    events = [
        MarketingEvent(kind=EventKind.VISIT, contact_id=ann.id, occurred_at=now - timedelta(days=d))
        for d in (1, 2, 9)
    ] + [
        MarketingEvent(
            kind=EventKind.VISIT, contact_id=bob.id, occurred_at=now - timedelta(days=3)
        ),
        MarketingEvent(
            kind=EventKind.VISIT, contact_id=bob.id, occurred_at=now - timedelta(days=90)
        ),
        MarketingEvent(kind=EventKind.DOWNLOAD, contact_id=cy.id, occurred_at=now),
    ]
    db.session.add_all(recipients + events)
    db.session.commit()
    make_preference("ann@example.com", consent=True)
    make_preference("cy@example.com", consent=False, bounced_at=now, unsubscribed_at=now)
    new = make_lead(
        admin,
        first_name="Nina",
        last_name="Ho",
        company="Acme Taiwan",
        email="nina@acme.tw",
        status="NEW",
        source="WEB_FORM",
        industry="Software",
        country="TW",
        region="North",
        employees=50,
        annual_revenue="1000000",
        custom={"budget": "5000"},
    )
    new.utm_source, new.utm_medium, new.utm_campaign = "linkedin", "social", "spring-2025"
    old = make_lead(
        admin,
        first_name="Olaf",
        last_name="Berg",
        company="Nordic AB",
        status="QUALIFIED",
        source="REFERRAL",
        industry="Retail",
        country="SE",
        employees=5,
    )
    old.created_at = now - timedelta(days=100)
    tags.add_tags(admin, "leads", old.id, ["VIP"])
    db.session.add(MarketingEvent(kind=EventKind.FORM_SUBMIT, lead_id=new.id, occurred_at=now))
    db.session.add(
        CampaignRecipient(
            campaign_id=spring.id,
            lead_id=new.id,
            email="nina@acme.tw",
            status=RecipientStatus.SENT,
            sent_at=now,
            clicked_at=now,
        )
    )
    make_preference("nina@acme.tw", consent=True)
    db.session.commit()
    names = {"ann": ann, "bob": bob, "cy": cy, "new": new, "old": old}
    return {key: record.id for key, record in names.items()} | {
        "spring": spring.id,
        "autumn": autumn.id,
    }


def matching(people, definition, entity=CONTACT) -> set[str]:
    """The names of the people `definition` selects (and the count agrees)."""
    model = Contact if entity is CONTACT else Lead
    clause = segment_rules.where_clause(entity, definition)
    found = set(db.session.scalars(sa.select(model.id).where(clause)))
    assert segments.count_definition(entity, definition) == len(found)
    return {name for name, record_id in people.items() if record_id in found} & (
        {"ann", "bob", "cy"} if entity is CONTACT else {"new", "old"}
    )


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("first_name", "eq", "ANN", {"ann"}),
        ("first_name", "ne", "ann", {"bob", "cy"}),
        ("last_name", "contains", "A", {"bob"}),
        ("last_name", "not_contains", "e", {"bob", "cy"}),
        ("first_name", "starts_with", "b", {"bob"}),
        ("email", "is_empty", None, {"bob"}),
        ("email", "contains", "example.COM", {"ann", "cy"}),
        ("has_email", "is_true", None, {"ann", "cy"}),
        ("has_email", "is_false", None, {"bob"}),
        ("title", "eq", "cto", {"ann"}),
        ("department", "is_not_empty", None, {"ann"}),
        ("created_at", "within_days", 30, {"ann", "cy"}),
        ("created_at", "older_than_days", 30, {"bob"}),
        ("created_at", "after", "2000-01-01", {"ann", "bob", "cy"}),
        ("created_at", "before", "2000-01-01", set()),
    ],
)
def test_person_fields(people, field, op, value, expected):
    assert matching(people, one(field, op, value)) == expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("customer_status", "eq", "CUSTOMER", {"ann"}),
        # "Not a customer" includes contacts without any customer.
        ("customer_status", "ne", "CUSTOMER", {"bob", "cy"}),
        ("customer_status", "in", ["CUSTOMER", "PROSPECT"], {"ann", "bob"}),
        ("customer_status", "not_in", ["PROSPECT"], {"ann", "cy"}),
        ("customer_industry", "contains", "SOFT", {"ann"}),
        ("customer_size", "eq", "SMALL", {"bob"}),
        ("customer_rating", "ne", "HOT", {"bob", "cy"}),
        ("customer_rating", "is_empty", None, {"cy"}),
        ("customer_abc_class", "in", ["A", "B"], {"ann"}),
        ("customer_country", "eq", "tw", {"ann"}),  # Beta ships to TW but bills in the US
        ("customer_country", "ne", "TW", {"bob", "cy"}),
        ("customer_country", "is_empty", None, {"cy"}),
        ("customer_tag", "has", "key ACCOUNT", {"ann"}),
        ("customer_tag", "has_not", "Key account", {"bob", "cy"}),
    ],
)
def test_customer_fields_of_contacts(people, field, op, value, expected):
    assert matching(people, one(field, op, value)) == expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("tag", "has", "vip", {"ann", "cy"}),
        ("tag", "has_not", "VIP", {"bob"}),
        ("tag", "has", "No such tag", set()),
        ("tag", "has_not", "No such tag", {"ann", "bob", "cy"}),
        ("activity", "has", {"kind": "", "days": 30}, {"ann"}),
        ("activity", "has", {"kind": "CALL", "days": "30"}, {"ann"}),
        ("activity", "has", {"kind": "NOTE", "days": 30}, set()),
        ("activity", "has", {"kind": "", "days": 90}, {"ann", "bob"}),
        ("activity", "has_not", {"kind": "", "days": 90}, {"cy"}),
    ],
)
def test_tags_and_activities(people, field, op, value, expected):
    assert matching(people, one(field, op, value)) == expected


def test_campaign_behaviour(people):
    def of(field, op="has", campaign=None, days=None):
        return matching(people, one(field, op, {"campaign_id": campaign, "days": days}))

    assert of("campaign_received") == {"ann", "bob"}  # cy's row was skipped, not sent
    assert of("campaign_received", "has_not") == {"cy"}
    assert of("campaign_received", days=30) == {"ann"}
    assert of("campaign_opened") == {"ann", "bob"}
    assert of("campaign_opened", campaign=people["autumn"]) == {"bob"}
    assert of("campaign_clicked") == {"ann"}
    assert of("campaign_clicked", campaign=people["autumn"]) == set()
    assert of("campaign_clicked", "has_not", campaign=people["spring"], days=7) == {"bob", "cy"}


@pytest.mark.parametrize(
    ("op", "kind", "days", "times", "expected"),
    [
        ("gte", "VISIT", 30, 3, {"ann"}),
        ("gte", "VISIT", 30, 1, {"ann", "bob"}),
        ("gte", "VISIT", 365, 2, {"ann", "bob"}),
        ("gte", "VISIT", 30, 0, {"ann", "bob", "cy"}),
        ("lte", "VISIT", 30, 0, {"cy"}),
        ("lte", "VISIT", 30, 1, {"bob", "cy"}),
        ("gte", "DOWNLOAD", 1, 1, {"cy"}),
    ],
)
def test_behaviour_event_counts(people, op, kind, days, times, expected):
    definition = one("events", op, {"kind": kind, "days": days, "count": times})
    assert matching(people, definition) == expected


@pytest.mark.parametrize(
    ("field", "op", "expected"),
    [
        ("consent", "is_true", {"ann"}),
        ("consent", "is_false", {"bob", "cy"}),
        ("unsubscribed", "is_true", {"cy"}),  # bob has no address to unsubscribe
        ("bounced", "is_true", {"cy"}),  # matched on the trimmed, lower-cased address
        ("bounced", "is_false", {"ann", "bob"}),
    ],
)
def test_consent_unsubscribe_and_bounce(people, field, op, expected):
    assert matching(people, one(field, op)) == expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("custom.region_code", "eq", "NORTH", {"ann"}),
        ("custom.region_code", "is_empty", None, {"bob", "cy"}),
        ("custom.region_code", "not_contains", "OR", {"bob", "cy"}),
        ("custom.seats", "gte", "100", {"ann"}),
        ("custom.seats", "lt", 100, set()),
        ("custom.renewal", "after", "2029-12-31", {"ann"}),
        ("custom.renewal", "before", "2029-12-31", set()),
        ("custom.newsletter", "is_true", None, {"ann"}),
        ("custom.newsletter", "is_false", None, {"bob", "cy"}),
    ],
)
def test_custom_fields(people, field, op, value, expected):
    assert matching(people, one(field, op, value)) == expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("status", "in", ["NEW", "CONTACTED"], {"new"}),
        ("status", "ne", "NEW", {"old"}),
        ("source", "eq", "REFERRAL", {"old"}),
        ("industry", "eq", "software", {"new"}),
        ("country", "eq", "tw", {"new"}),
        ("region", "is_empty", None, {"old"}),
        ("company", "contains", "nordic", {"old"}),
        ("employees", "gt", "10", {"new"}),
        ("employees", "lte", 5, {"old"}),
        ("annual_revenue", "gte", "999999.99", {"new"}),
        ("annual_revenue", "is_empty", None, {"old"}),
        ("utm_source", "eq", "LinkedIn", {"new"}),
        ("utm_medium", "eq", "social", {"new"}),
        ("utm_campaign", "starts_with", "spring", {"new"}),
        ("created_at", "older_than_days", 50, {"old"}),
        ("tag", "has", "vip", {"old"}),
        ("events", "gte", {"kind": "FORM_SUBMIT", "days": 7, "count": 1}, {"new"}),
        ("campaign_clicked", "has", {"campaign_id": None, "days": None}, {"new"}),
        ("consent", "is_true", None, {"new"}),
        ("custom.budget", "gt", "1000", {"new"}),
    ],
)
def test_lead_fields(people, field, op, value, expected):
    assert matching(people, one(field, op, value), LEAD) == expected


def test_groups_combine_with_and_or(people):
    vip_customers = {
        "match": "all",
        "conditions": [cond("customer_status", "eq", "CUSTOMER"), cond("tag", "has", "VIP")],
    }
    no_email = {"match": "all", "conditions": [cond("email", "is_empty")]}
    either = {"match": "any", "groups": [vip_customers, no_email]}
    assert matching(people, either) == {"ann", "bob"}
    assert matching(people, either | {"match": "all"}) == set()
    any_of = {
        "match": "all",
        "groups": [
            {
                "match": "any",
                "conditions": [cond("first_name", "eq", "bob"), cond("tag", "has", "vip")],
            },
            {"match": "all", "conditions": [cond("bounced", "is_false")]},
        ],
    }
    assert matching(people, any_of) == {"ann", "bob"}


def test_an_empty_definition_and_blank_rows_match_everyone(people):
    assert matching(people, {}) == {"ann", "bob", "cy"}
    assert matching(people, {"match": "any", "groups": []}) == {"ann", "bob", "cy"}
    blank = {"match": "all", "groups": [{"match": "all", "conditions": [cond("", "")]}]}
    assert matching(people, blank) == {"ann", "bob", "cy"}
    assert segment_rules.validate(CONTACT, blank) == {"match": "all", "groups": []}


def test_values_are_normalised_when_checked(people):
    clean = segment_rules.validate(
        CONTACT,
        {
            "groups": [
                {
                    "conditions": [
                        cond("first_name", "eq", "  Ann  "),
                        cond("created_at", "within_days", "30"),
                        cond("customer_status", "in", "CUSTOMER"),
                        cond("tag", "has", " vip "),
                        cond("has_email", "is_true", "ignored"),
                        cond("events", "gte", {"kind": "VISIT", "days": "7", "count": "2"}),
                    ]
                }
            ]
        },
    )
    assert clean["groups"][0] == {
        "match": "all",
        "conditions": [
            cond("first_name", "eq", "Ann"),
            cond("created_at", "within_days", 30),
            cond("customer_status", "in", ["CUSTOMER"]),
            cond("tag", "has", "vip"),
            cond("has_email", "is_true", None),
            cond("events", "gte", {"kind": "VISIT", "days": 7, "count": 2}),
        ],
    }
    lead = segment_rules.validate(LEAD, one("annual_revenue", "gt", Decimal("1200.50")))
    assert lead["groups"][0]["conditions"][0]["value"] == "1200.5"


def _problems(definition, entity=CONTACT) -> dict:
    with pytest.raises(RecordInvalid) as refused:
        segment_rules.validate(entity, definition)
    return refused.value.errors


def test_bad_conditions_are_named_by_group_and_condition(people):
    errors = _problems(
        {
            "match": "all",
            "groups": [
                {
                    "match": "all",
                    "conditions": [
                        cond("password_hash", "eq", "x"),
                        cond("email", "gt", "a"),
                        cond("employees", "gt", 3),
                    ],
                },
                {
                    "match": "any",
                    "conditions": [
                        cond("created_at", "before", "31/12/2024"),
                        cond("customer_status", "eq", "VIP"),
                        cond("activity", "has", {"kind": "PARTY", "days": 30}),
                        cond("events", "gte", {"kind": "VISIT", "days": 0, "count": 1}),
                        cond("first_name", "eq", "   "),
                        cond("title", ""),
                    ],
                },
            ],
        }
    )
    assert errors == {
        "definition.groups.0.conditions.0": (
            "Group 1, condition 1: There is no field “password_hash” for contacts."
        ),
        "definition.groups.0.conditions.1": (
            "Group 1, condition 2: “is more than” does not apply to Email."
        ),
        "definition.groups.0.conditions.2": (
            "Group 1, condition 3: There is no field “employees” for contacts."
        ),
        "definition.groups.1.conditions.0": (
            "Group 2, condition 1: Enter a date such as 2025-03-31."
        ),
        "definition.groups.1.conditions.1": "Group 2, condition 2: Choose a value from the list.",
        "definition.groups.1.conditions.2": (
            "Group 2, condition 3: Choose a kind of activity from the list."
        ),
        "definition.groups.1.conditions.3": (
            "Group 2, condition 4: Enter a number of days from 1 to 36500."
        ),
        "definition.groups.1.conditions.4": "Group 2, condition 5: Enter a value to compare with.",
        "definition.groups.1.conditions.5": (
            "Group 2, condition 6: Choose how to compare Job title."
        ),
    }
    lead_errors = _problems(
        {
            "groups": [
                {
                    "conditions": [
                        cond("employees", "gt", "2.5"),
                        cond("annual_revenue", "lt", "lots"),
                    ]
                }
            ]
        },
        LEAD,
    )
    assert lead_errors == {
        "definition.groups.0.conditions.0": "Group 1, condition 1: Enter a whole number.",
        "definition.groups.0.conditions.1": (
            "Group 1, condition 2: Enter a number, for example 1250 or 99.90."
        ),
    }


def test_sizes_and_shapes_are_capped(people):
    condition = cond("first_name", "eq", "a")
    too_many_groups = {"groups": [{"conditions": [condition]}] * 11}
    assert _problems(too_many_groups) == {"definition": "Use at most 10 groups."}
    too_many_rows = {"groups": [{"conditions": [condition] * 21}]}
    assert _problems(too_many_rows) == {
        "definition.groups.0": "Group 1: use at most 20 conditions."
    }
    assert _problems(["not", "a", "dict"]) == {
        "definition": "The conditions are not in a known form."
    }
    assert _problems({"match": "most", "groups": []}) == {
        "definition": "Choose whether all or any of the groups must match."
    }
    assert _problems({"groups": [{"match": "all", "conditions": "x"}]}) == {
        "definition.groups.0": "Group 1 is not valid."
    }


def test_a_stored_definition_is_checked_again_before_it_becomes_sql(people):
    with pytest.raises(RecordInvalid):
        segment_rules.where_clause(CONTACT, one("search_text", "contains", "a"))


def test_the_count_is_one_select_whatever_the_definition_mixes(app, people):
    mixed = {
        "match": "any",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    cond("first_name", "contains", "a"),
                    cond("customer_status", "ne", "PARTNER"),
                    cond("customer_country", "eq", "TW"),
                    cond("tag", "has", "VIP"),
                    cond("customer_tag", "has_not", "Key account"),
                    cond("activity", "has", {"kind": "CALL", "days": 30}),
                    cond("campaign_opened", "has", {"campaign_id": people["spring"], "days": 30}),
                    cond("events", "gte", {"kind": "VISIT", "days": 30, "count": 2}),
                    cond("consent", "is_true"),
                    cond("created_at", "within_days", 365),
                ],
            },
            {"match": "any", "conditions": [cond("custom.seats", "gte", "100")]},
        ],
    }
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("SET LOCAL"):  # settings (work_mem), not reads
            statements.append(statement)

    db.session.commit()
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        total = segments.count_definition(CONTACT, mixed)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert total == 1  # ann: she has 120 seats
    counts = [s for s in statements if "count(" in s.lower()]
    # One SELECT COUNT(*) for the people; the only other read is the custom field
    # definitions, needed to know how to compare "seats".
    assert len(counts) == 1 and counts[0].lstrip().upper().startswith("SELECT")
    assert len(statements) == 2 and "custom_fields" in "".join(statements)
    statements.clear()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        segments.count_definition(CONTACT, {"match": "any", "groups": mixed["groups"][:1]})
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1


def test_describe_says_the_conditions_in_words(people):
    words = segment_rules.describe(
        CONTACT,
        {
            "match": "any",
            "groups": [
                {
                    "match": "all",
                    "conditions": [
                        cond("customer_status", "in", ["CUSTOMER", "PARTNER"]),
                        cond("created_at", "within_days", 30),
                        cond("campaign_opened", "has", {"campaign_id": people["spring"]}),
                        cond("events", "gte", {"kind": "VISIT", "days": 30, "count": 3}),
                    ],
                }
            ],
        },
    )
    assert words == {
        "match": "any",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    "Customer status is any of Customer, Partner",
                    "Created in the last 30 days",
                    "Opened a campaign email: Spring",
                    "Behaviour events is at least 3 × Website visits in the last 30 days",
                ],
            }
        ],
    }
