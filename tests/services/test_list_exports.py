"""Exporting the customer and contact lists: the rows a user may read, as filtered, with
tags and custom fields, every page read on the keyset, cells safe for spreadsheets."""

import csv

import pytest

from app.models.customers import CustomerStatus
from app.models.identity import Role
from app.services import custom_fields, exports, list_exports, tags
from tests.factories import make_contact, make_customer, make_team, make_user


@pytest.fixture
def team():
    return make_team("North")


def _names(actor, entity_type="customer", **args):
    rows = list_exports.rows(actor, entity_type, {k: [v] for k, v in args.items()})
    return [row[1] for row in rows]


def test_a_rep_exports_only_their_own_customers_and_a_manager_their_teams(team):
    rep = make_user(Role.SALES, team=team)
    colleague = make_user(Role.SALES, team=team)
    outsider = make_user(Role.SALES)
    manager = make_user(Role.MANAGER, team=team)
    for owner, name in ((rep, "Mine"), (colleague, "Colleague's"), (outsider, "Outsider's")):
        make_customer(owner, name=name)

    assert _names(rep) == ["Mine"]
    assert _names(manager) == ["Colleague's", "Mine"]


def test_filters_and_sort_of_the_list_apply_and_every_page_is_read_once(monkeypatch):
    monkeypatch.setattr(list_exports, "BATCH_SIZE", 2)
    rep = make_user(Role.SALES)
    for n in range(5):
        make_customer(rep, name=f"Lead {n}", status=CustomerStatus.LEAD)
    make_customer(rep, name="A Partner", status=CustomerStatus.PARTNER)

    assert _names(rep, status="LEAD", sort="name", direction="desc") == [
        f"Lead {n}" for n in (4, 3, 2, 1, 0)
    ]
    assert _names(rep, q="partner") == ["A Partner"]


def test_tags_custom_fields_and_formula_cells_are_written_safely(tmp_path):
    rep = make_user(Role.SALES)
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "contact", "Budget", "number")
    contact = make_contact(
        rep, first_name="-1+1", last_name="@Chen", title="+Boss", custom={"budget": "12.50"}
    )
    tags.add_tags(rep, "contacts", contact.id, ["=cmd", "vip"])

    header = list_exports.header("contact")
    path = tmp_path / "contacts.csv"
    exports.write_csv(str(path), header, list_exports.rows(rep, "contact", {}))

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    _, row = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert row[1:3] == ["'-1+1", "'@Chen"] and row[header.index("Job title")] == "'+Boss"
    assert row[header.index("Tags")] == "'=cmd, vip"
    assert row[header.index("Budget")] == "12.50"


def test_an_exported_file_maps_itself_when_imported_again():
    from app.services import import_mapping

    mapping = import_mapping.guess("customer", list_exports.header("customer"))
    assert {"name", "company", "email", "phone", "owner_email", "tags"} <= set(mapping.values())


def test_a_lead_export_holds_the_reps_own_filtered_leads_with_their_tags():
    from app.models.sales import LeadSource, LeadStatus
    from tests.factories import make_lead

    rep = make_user(Role.SALES)
    mine = make_lead(
        rep, first_name="美玲", last_name="陳", company="台灣茶行", email="mei@tea.example",
        status=LeadStatus.QUALIFIED, source=LeadSource.REFERRAL, annual_revenue="1200000.50",
    )  # fmt: skip
    make_lead(rep, last_name="Still New", status=LeadStatus.NEW)
    make_lead(make_user(Role.SALES), last_name="Someone Else's", status=LeadStatus.QUALIFIED)
    tags.add_tags(rep, "leads", mine.id, ["hot"])

    header = list_exports.header("lead")
    (row,) = list(list_exports.rows(rep, "lead", {"status": ["QUALIFIED"]}))
    assert header[:4] == ["ID", "First name", "Last name", "Company"]
    cells = dict(zip(header, row, strict=True))
    assert (cells["First name"], cells["Last name"], cells["Company"]) == ("美玲", "陳", "台灣茶行")
    assert (cells["Status"], cells["Source"]) == ("QUALIFIED", "REFERRAL")
    assert cells["Annual revenue"] == "1200000.50" and cells["Employees"] == ""
    assert cells["Tags"] == "hot" and cells["Owner email"] == rep.email
    assert [r[2] for r in list_exports.rows(rep, "lead", {"q": ["still"]})] == ["Still New"]
    assert list_exports.count(rep, "lead", {}) == 2


def test_an_exported_lead_file_maps_itself_when_imported_again():
    from app.services import import_mapping

    mapping = import_mapping.guess("lead", list_exports.header("lead"))
    assert {"first_name", "last_name", "company", "email", "owner_email", "tags"} <= set(
        mapping.values()
    )


def test_a_deal_export_follows_the_deal_list_and_its_permissions(team):
    from decimal import Decimal

    from app.models.sales import OpportunityStage
    from tests.factories import make_opportunity

    rep = make_user(Role.SALES, team=team)
    acme = make_customer(rep, name="Acme 股份有限公司")
    make_opportunity(rep, acme, name="CRM rollout", amount=Decimal("12500.50"))
    make_opportunity(rep, acme, name="Support renewal", amount=Decimal("300"))
    make_opportunity(make_user(Role.SALES), name="Outsider's deal")

    header = list_exports.header("opportunity")
    rows = list(list_exports.rows(rep, "opportunity", {"sort": ["name"]}))
    assert [row[1] for row in rows] == ["CRM rollout", "Support renewal"]
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["Customer"] == "Acme 股份有限公司" and cells["Amount"] == "12500.50"
    assert cells["Stage"] == OpportunityStage.PROSPECTING.value
    assert [r[1] for r in list_exports.rows(rep, "opportunity", {"q": ["renewal"]})] == [
        "Support renewal"
    ]
