"""Import presets: a HubSpot or Salesforce export is recognised by its headers, mapped onto
Rapport's fields, and its values (statuses, stages, countries, head counts, owners by name)
translated, end to end through the import job."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.imports import run_import
from app.models.customers import (
    AddressKind,
    Contact,
    Customer,
    CustomerSize,
    CustomerStatus,
    Rating,
)
from app.models.identity import Role
from app.models.records import DataImport
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import import_preset_rules, imports
from tests.factories import make_customer, make_user


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


HUBSPOT_CONTACTS = _csv(
    [
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Mobile Phone Number",
            "Company Name",
            "Job Title",
            "Lifecycle Stage",
            "Lead Status",
            "Contact owner",
            "Create Date",
            "Street Address",
            "City",
            "State/Region",
            "Postal Code",
            "Country/Region",
            "Website URL",
            "Industry",
            "Annual Revenue",
            "Number of Employees",
        ],
        [
            "101",
            "Mei",
            "Chen",
            "mei.chen@example.tw",
            "+886 2 2345 6789",
            "+886 912 345 678",
            "Formosa Tea",
            "Buyer",
            "lead",
            "In Progress",
            "Rita Rep",
            "2024-03-01 10:00",
            "1 Main St",
            "Taipei",
            "Taipei City",
            "100",
            "Taiwan",
            "https://formosa.example",
            "Food",
            "$1,250,000.00",
            "45",
        ],
        [
            "102",
            "Tom",
            "Berg",
            "tom@berg.example",
            "",
            "",
            "Berg AB",
            "CEO",
            "opportunity",
            "Bad timing",
            "Nobody Known",
            "2024-03-02 11:00",
            "",
            "Stockholm",
            "",
            "",
            "Sweden",
            "",
            "Retail",
            "",
            "12",
        ],
        [
            "103",
            "Ana",
            "Lima",
            "ana@lima.example",
            "",
            "",
            "Lima Ltda",
            "",
            "subscriber",
            "Some custom status",
            "",
            "2024-03-03 09:00",
            "",
            "",
            "",
            "",
            "Atlantis",
            "",
            "",
            "",
            "",
        ],
    ]
)

SALESFORCE_ACCOUNTS = _csv(
    [
        [
            "Account ID",
            "Account Name",
            "Type",
            "Industry",
            "Rating",
            "Phone",
            "Website",
            "Employees",
            "Billing Street",
            "Billing City",
            "Billing State/Province",
            "Billing Zip/Postal Code",
            "Billing Country",
            "Account Owner",
            "Description",
        ],
        [
            "001A",
            "Acme Corporation",
            "Customer - Direct",
            "Manufacturing",
            "Hot",
            "(555) 010-2000",
            "www.acme.example",
            "1200",
            "1 Acme Way",
            "Springfield",
            "IL",
            "62701",
            "United States",
            "Rita Rep",
            "Key account",
        ],
        [
            "001B",
            "Globex",
            "Channel Partner / Reseller",
            "Energy",
            "Cold",
            "",
            "",
            "80",
            "",
            "",
            "",
            "",
            "Germany",
            "",
            "",
        ],
    ]
)

SALESFORCE_CONTACTS = _csv(
    [
        [
            "Contact ID",
            "Salutation",
            "First Name",
            "Last Name",
            "Title",
            "Department",
            "Account Name",
            "Email",
            "Phone",
            "Mobile",
            "Mailing Street",
            "Mailing City",
            "Mailing State/Province",
            "Mailing Zip/Postal Code",
            "Mailing Country",
            "Lead Source",
            "Contact Owner",
        ],
        [
            "003A",
            "Ms.",
            "Jane",
            "Doe",
            "VP Sales",
            "Sales",
            "Acme Corporation",
            "jane@acme.example",
            "(555) 010-2001",
            "(555) 010-9001",
            "1 Acme Way",
            "Springfield",
            "IL",
            "62701",
            "USA",
            "Web",
            "Rita Rep",
        ],
    ]
)


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita Rep", email="rita@example.com")


def _import(actor, text: str, entity_type: str) -> DataImport:
    data_import = imports.start_import(actor, entity_type, "export.csv", text.encode())
    imports.submit(data_import, actor)
    db.session.commit()
    import_id = data_import.id
    run_import(import_id, actor_id=actor.id)  # the job, as the worker runs it
    db.session.add(actor)
    return db.session.get(DataImport, import_id)


def test_a_hubspot_contacts_export_becomes_leads(rep):
    data_import = _import(rep, HUBSPOT_CONTACTS, "lead")

    assert data_import.options["preset"] == "hubspot_contacts"
    assert (data_import.created, data_import.rejected) == (2, 1)
    mei = db.session.scalar(sa.select(Lead).where(Lead.email == "mei.chen@example.tw"))
    assert (mei.first_name, mei.last_name, mei.company, mei.title) == (
        "Mei",
        "Chen",
        "Formosa Tea",
        "Buyer",
    )
    assert (mei.phone, mei.mobile) == ("+886 2 2345 6789", "+886 912 345 678")
    assert (mei.status, mei.country, mei.region, mei.city) == (
        LeadStatus.CONTACTED,
        "TW",
        "Taipei City",
        "Taipei",
    )
    assert (mei.annual_revenue, mei.employees, mei.industry) == (1250000, 45, "Food")
    assert (mei.owner_id, mei.source, mei.website) == (
        rep.id,
        LeadSource.IMPORT,
        "https://formosa.example",
    )
    ana = db.session.scalar(sa.select(Lead).where(Lead.email == "ana@lima.example"))
    # A status and a country Rapport does not know are left empty, not refused.
    assert (ana.status, ana.country) == (LeadStatus.NEW, "")
    # An owner named in the file who is no user of Rapport: the row is reported.
    assert db.session.scalar(sa.select(Lead).where(Lead.email == "tom@berg.example")) is None


def test_a_salesforce_accounts_export_becomes_customers(rep):
    data_import = _import(rep, SALESFORCE_ACCOUNTS, "customer")

    assert data_import.options["preset"] == "salesforce_accounts"
    assert (data_import.created, data_import.rejected) == (2, 0)
    acme = db.session.scalar(sa.select(Customer).where(Customer.name == "Acme Corporation"))
    assert (acme.status, acme.rating, acme.size) == (
        CustomerStatus.CUSTOMER,
        Rating.HOT,
        CustomerSize.ENTERPRISE,
    )
    assert (acme.industry, acme.phone, acme.owner_id) == ("Manufacturing", "(555) 010-2000", rep.id)
    billing = next(a for a in acme.addresses if a.kind is AddressKind.BILLING)
    assert (billing.line1, billing.city, billing.region, billing.postal_code, billing.country) == (
        "1 Acme Way",
        "Springfield",
        "IL",
        "62701",
        "US",
    )
    globex = db.session.scalar(sa.select(Customer).where(Customer.name == "Globex"))
    assert (globex.status, globex.rating, globex.size) == (
        CustomerStatus.PARTNER,
        Rating.COLD,
        CustomerSize.MEDIUM,
    )


def test_a_salesforce_contacts_report_becomes_contacts_at_their_accounts(rep):
    acme_id = make_customer(rep, name="Acme Corporation").id
    data_import = _import(rep, SALESFORCE_CONTACTS, "contact")

    assert data_import.options["preset"] == "salesforce_people"
    jane = db.session.scalar(sa.select(Contact).where(Contact.email == "jane@acme.example"))
    assert (jane.first_name, jane.last_name, jane.title, jane.department) == (
        "Jane",
        "Doe",
        "VP Sales",
        "Sales",
    )
    assert (jane.customer_id, jane.mobile, jane.owner_id) == (acme_id, "(555) 010-9001", rep.id)


def test_a_plain_file_gets_no_preset_and_a_preset_can_be_chosen_by_hand(rep):
    text = "First Name,Last Name,Email,Status\nIda,Holm,ida@holm.example,Working - Contacted\n"
    data_import = imports.start_import(rep, "lead", "mine.csv", text.encode())
    assert data_import.options["preset"] is None
    assert data_import.mapping["3"] == "status"  # guessed from the header, untranslated
    import_preset_rules.choose(data_import, rep, "salesforce_people")
    imports.submit(data_import, rep)
    db.session.commit()
    run_import(data_import.id, actor_id=rep.id)
    ida = db.session.scalar(sa.select(Lead).where(Lead.email == "ida@holm.example"))
    assert ida.status is LeadStatus.CONTACTED


def test_a_preset_for_another_record_type_is_refused(rep):
    data_import = imports.start_import(rep, "lead", "x.csv", b"Name\nX\n")
    with pytest.raises(imports.ImportFileError):
        import_preset_rules.choose(data_import, rep, "salesforce_accounts")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,250,000.00", "1250000"),
        ("USD 1 250 000", "1250000"),
        ("1.250.000", "1250000"),
        ("12,5", "12.5"),
        ("n/a", ""),
    ],
)
def test_amounts_are_read_as_exported(text, expected):
    assert import_preset_rules._number(text) == expected


def test_country_names_in_english_and_chinese(app):
    assert [import_preset_rules._country_code(n) for n in ("Taiwan", "台灣", "USA", "Narnia")] == [
        "TW",
        "TW",
        "US",
        "",
    ]
