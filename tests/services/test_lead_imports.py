"""Leads imported from a CSV: English and Chinese headers map themselves, every lead gets the
source IMPORT, the assignment rules give owners to rows without one, duplicates are found
by email, phone or name at the same company, and bad rows are reported."""

import csv

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.imports import run_import
from app.models.identity import Role
from app.models.records import AuditEntry, DataImport, ImportStatus
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import import_mapping, imports, tags
from tests.factories import make_assignment_rule, make_lead, make_team, make_user

LEADS_FILE = (
    "First name,Last name,Company,Email,Phone,Country,Industry,Employees,Annual revenue,"
    "Source,Status,Owner,Tags\n"
    "Mei,Lin,Lin Trading,mei@lin.example,02-2345-6789,tw,Retail,40,1250000.50,"
    "Computex 2025,contacted,,Trade show lead\n"
    "John,Smith,Acme,john@acme.example,,US,Software,,,,,boss@example.com,\n"
    "Bad,Email,Broken,not-an-email,,US,,,,,,,\n"
    "Nameless,,Somewhere,nameless@example.com,,US,,,,,,,\n"
    "Again,Lin,Lin Trading,MEI@lin.example,,TW,,,,,,,\n"
    "Too,Many,Staff,staff@example.com,,TWN,,lots,,,,,\n"
)


@pytest.fixture
def rep():
    return make_user(Role.SALES, email="rep@example.com")


def _upload(actor, text, duplicates="skip", encoding="utf-8"):
    data_import = imports.start_import(actor, "lead", "leads.csv", text.encode(encoding))
    imports.set_mapping(data_import, actor, data_import.mapping, duplicates)
    db.session.commit()
    return data_import.id


def _run(import_id, actor):
    run_import(import_id, actor_id=actor.id)
    db.session.add(actor)
    return db.session.get(DataImport, import_id)


def _leads() -> list[Lead]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()


def test_english_and_chinese_headers_map_to_lead_fields():
    headers = [
        "名", "姓", "公司名稱", "電子郵件", "手機", "國家", "縣市", "員工人數", "年營收",
        "來源", "狀態", "負責業務", "標籤", "Job title", "Website",
    ]  # fmt: skip

    assert list(import_mapping.guess("lead", headers).values()) == [
        "first_name", "last_name", "company", "email", "mobile", "country", "city",
        "employees", "annual_revenue", "source_detail", "status", "owner_email", "tags",
        "title", "website",
    ]  # fmt: skip
    assert "source" not in import_mapping.targets("lead")


def test_leads_import_with_source_import_and_bad_rows_reported():
    north, south = make_team("North"), make_team("South")
    importer = make_user(Role.MANAGER, team=north)
    boss = make_user(Role.SALES, team=north, email="boss@example.com")
    alice = make_user(Role.SALES, team=south)
    make_assignment_rule(name="Taiwan", country="TW", source="IMPORT", user_id=alice.id)
    boss_id, south_id, alice_id = boss.id, south.id, alice.id

    data_import = _run(_upload(importer, LEADS_FILE), importer)

    assert data_import.status is ImportStatus.DONE
    assert (data_import.created, data_import.skipped, data_import.rejected) == (2, 1, 3)
    mei, john = _leads()
    assert {mei.source, john.source} == {LeadSource.IMPORT}
    assert (mei.owner_id, mei.team_id) == (alice_id, south_id)  # the rule's user
    assert (john.owner_id, john.created_by_id) == (boss_id, importer.id)  # the file's owner
    assert mei.source_detail == "Computex 2025" and mei.status is LeadStatus.CONTACTED
    assert (mei.country, mei.employees, str(mei.annual_revenue)) == ("TW", 40, "1250000.50")
    assert "mei@lin.example" in mei.search_text
    assert [t.name for t in tags.tags_for("leads", [mei.id])[mei.id]] == ["Trade show lead"]

    with open(imports.report_path(data_import), encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    by_row = {row[0]: row for row in rows}
    assert by_row["3"][1] == "rejected" and "Email:" in by_row["3"][2]
    assert by_row["4"][1] == "rejected" and "Last name:" in by_row["4"][2]
    assert by_row["5"][1] == "skipped" and "row 1" in by_row["5"][2]
    assert by_row["6"][1] == "rejected"
    assert "Country:" in by_row["6"][2] and "Employees:" in by_row["6"][2]


def test_without_an_owner_or_a_matching_rule_the_importer_owns_the_lead(rep):
    _run(_upload(rep, "Last name,Email\nChen,chen@example.com\n"), rep)

    [lead] = _leads()
    assert lead.owner_id == rep.id and lead.source is LeadSource.IMPORT


def test_round_robin_shares_imported_leads_in_turn(rep):
    team = make_team("Inside")
    first, second = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    make_assignment_rule(name="Inside", team_id=team.id)
    expected = [first.id, second.id, first.id, second.id]
    text = "Last name,Email\n" + "".join(f"L{n},l{n}@example.com\n" for n in range(4))

    _run(_upload(rep, text), rep)

    assert [lead.owner_id for lead in _leads()] == expected


def test_duplicates_of_existing_leads_are_skipped_or_updated(rep):
    existing_id = make_lead(rep, first_name="Ann", last_name="Lee", company="Lee Co").id
    text = "First name,Last name,Company,Title\nann,LEE,Lee Co,CEO\nAnn,Lee,Other Co,CFO\n"

    data_import = _run(_upload(rep, text, duplicates="update"), rep)

    assert (data_import.created, data_import.updated) == (1, 1)
    leads = _leads()
    assert leads[0].id == existing_id and leads[0].title == "CEO"
    assert leads[0].source is LeadSource.MANUAL  # an update keeps the lead's own source
    assert (leads[1].company, leads[1].source) == ("Other Co", LeadSource.IMPORT)


def test_imported_leads_are_audited_and_the_preview_writes_nothing(rep):
    import_id = _upload(rep, "Last name,Email\nChen,chen@example.com\nWu,bad\n")
    data_import = db.session.get(DataImport, import_id)

    preview = imports.preview(data_import, rep)
    assert [row.outcome.result for row in preview] == ["created", "rejected"]
    assert _leads() == []

    _run(import_id, rep)
    [lead] = _leads()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "leads", AuditEntry.entity_id == str(lead.id)
        )
    ).all()
    assert [entry.action.value for entry in entries] == ["create"]


def test_only_users_who_may_create_leads_import_them():
    support = make_user(Role.SUPPORT)
    from app.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.start_import(support, "lead", "leads.csv", b"Last name\nChen\n")
