"""A sales rep imports customers and contacts from a CSV: mapping, preview, duplicates,
rejected rows reported, and every good row imported exactly once, even when retried."""

import csv

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.imports import run_import
from app.models.customers import Contact, Customer
from app.models.identity import Role
from app.models.records import DataImport, ImportStatus
from app.services import custom_fields, import_mapping, imports
from tests.factories import make_customer, make_user

MESSY_FILE = (
    "Name,Email,Phone,Industry\n"
    "Acme Trading,sales@acme.example,02-2345-6789,Retail\n"
    "Broken Mail Ltd,not-an-email,,Retail\n"
    ",nameless@example.com,,Retail\n"
    "Old Friend Co,friend@old.example,,Retail\n"
    "Acme Trading Again,SALES@acme.example,,Retail\n"
    "Zenith 科技,hello@zenith.example,+886 2 2345 0000,Tech\n"
)


@pytest.fixture
def rep():
    return make_user(Role.SALES, email="rep@example.com")


def _upload(actor, text, entity_type="customer", encoding="utf-8", duplicates="skip"):
    data = text.encode(encoding) if isinstance(text, str) else text
    data_import = imports.start_import(actor, entity_type, "upload.csv", data)
    imports.set_mapping(data_import, actor, data_import.mapping, duplicates)
    db.session.commit()
    return data_import.id


def _run(import_id, actor):
    """Run the import job as the worker would; the test's objects stay usable after it."""
    run_import(import_id, actor_id=actor.id)
    db.session.add(actor)
    return db.session.get(DataImport, import_id)


def _report(data_import):
    with open(imports.report_path(data_import), encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _customer_names():
    return sorted(db.session.scalars(sa.select(Customer.name)))


def test_bad_rows_are_reported_and_the_rest_imported_exactly_once(rep):
    make_customer(rep, name="Old Friend Co", email="friend@old.example")
    import_id = _upload(rep, MESSY_FILE)

    data_import = _run(import_id, rep)

    assert data_import.status is ImportStatus.DONE
    assert (data_import.created, data_import.skipped, data_import.rejected) == (2, 2, 2)
    assert data_import.rows_done == data_import.total_rows == 6
    assert _customer_names() == ["Acme Trading", "Old Friend Co", "Zenith 科技"]
    zenith = db.session.scalar(sa.select(Customer).where(Customer.name == "Zenith 科技"))
    assert zenith.owner_id == rep.id and zenith.industry == "Tech"
    assert "zenith" in zenith.search_text

    header, *rows = _report(data_import)
    assert header == ["Row", "Result", "Messages", "Name", "Email", "Phone", "Industry"]
    by_row = {row[0]: row for row in rows}
    assert sorted(by_row) == ["2", "3", "4", "5"]
    assert by_row["2"][1] == "rejected" and "Email: Enter a valid email" in by_row["2"][2]
    assert by_row["3"][1] == "rejected" and "Name:" in by_row["3"][2]
    assert by_row["4"][1] == "skipped" and "existing record" in by_row["4"][2]
    assert by_row["5"][1] == "skipped" and "row 1" in by_row["5"][2]
    assert by_row["2"][3:] == ["Broken Mail Ltd", "not-an-email", "", "Retail"]


def test_running_the_job_again_imports_nothing_twice(rep):
    import_id = _upload(rep, MESSY_FILE)
    _run(import_id, rep)
    again = _run(import_id, rep)
    assert again.created == 3 and again.rows_done == 6
    assert len(_customer_names()) == 3


def test_a_retried_job_resumes_after_the_last_committed_batch(rep, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    rows = "".join(f"Customer {n},c{n}@example.com\n" for n in range(1, 6))
    import_id = _upload(rep, "Name,Email\n" + rows)

    # A worker commits the first batch, works through the second, then dies uncommitted.
    run = imports.Run(db.session.get(DataImport, import_id), rep)
    assert run.next_batch()
    db.session.commit()
    assert run.next_batch()
    db.session.rollback()
    assert db.session.get(DataImport, import_id).rows_done == 2
    assert len(_customer_names()) == 2

    data_import = _run(import_id, rep)
    assert data_import.created == 5 and data_import.rows_done == 5
    assert _customer_names() == [f"Customer {n}" for n in range(1, 6)]


def test_update_mode_changes_the_matching_record(rep):
    existing_id = make_customer(rep, name="Acme", email="sales@acme.example", industry="Retail").id
    import_id = _upload(
        rep, "Name,Email,Industry\nAcme,sales@acme.example,Logistics\n", duplicates="update"
    )
    data_import = _run(import_id, rep)
    assert (data_import.created, data_import.updated) == (0, 1)
    assert db.session.get(Customer, existing_id).industry == "Logistics"
    assert data_import.report_file is None


def test_update_mode_refuses_records_the_importer_may_not_edit(rep):
    other = make_user(Role.SALES)
    make_customer(other, name="Not Yours", email="theirs@example.com")
    import_id = _upload(rep, "Name,Email\nNot Yours,theirs@example.com\n", duplicates="update")
    data_import = _run(import_id, rep)
    assert data_import.rejected == 1
    assert "may not change" in _report(data_import)[1][2]


def test_create_mode_imports_duplicates_anyway(rep):
    make_customer(rep, name="Acme", email="sales@acme.example")
    import_id = _upload(rep, "Name,Email\nAcme,sales@acme.example\n", duplicates="create")
    assert _run(import_id, rep).created == 1
    assert _customer_names() == ["Acme", "Acme"]


def test_a_big5_file_with_chinese_headers_maps_itself(rep):
    text = (
        "客戶名稱,公司,產業,電子郵件,電話,網站,備註\n"
        "台灣茶行,茶行股份有限公司,零售,tea@example.tw,02-1234-5678,tea.example.tw,老客戶\n"
    )
    import_id = _upload(rep, text, encoding="cp950")
    data_import = db.session.get(DataImport, import_id)
    assert data_import.options["encoding"] == "cp950"
    assert list(data_import.mapping.values()) == [
        "name", "company", "industry", "email", "phone", "website", "description"
    ]  # fmt: skip
    assert _run(import_id, rep).created == 1
    customer = db.session.scalar(sa.select(Customer))
    assert (customer.name, customer.company, customer.website) == (
        "台灣茶行",
        "茶行股份有限公司",
        "https://tea.example.tw",
    )


def test_semicolon_and_tab_files_with_a_bom_parse():
    semicolon = import_mapping.parse("\ufeffName;E-mail\nAcme;a@example.com\n".encode())
    assert semicolon.delimiter == ";" and semicolon.headers == ["Name", "E-mail"]
    assert semicolon.rows == [["Acme", "a@example.com"]]
    tabbed = import_mapping.parse(b"Name\tPhone\nAcme\t123\n")
    assert tabbed.delimiter == "\t" and tabbed.rows == [["Acme", "123"]]


def test_headers_map_to_fields_and_custom_fields(rep):
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "contact", "Budget", "number", label_zh="預算")
    headers = ["姓", "名", "職稱", "部門", "手機", "E-mail", "預算", "Favourite colour"]
    assert list(import_mapping.guess("contact", headers).values()) == [
        "last_name", "first_name", "title", "department", "mobile", "email", "cf_budget", ""
    ]  # fmt: skip


def test_contacts_link_to_customers_by_name_with_tags_and_custom_fields(rep):
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "contact", "Budget", "number")
    acme_id = make_customer(rep, name="Acme").id
    text = (
        "Last name,First name,Customer,Tags,Budget\n"
        'Chen,Mei,Acme,"vip, north",1200\n'
        "Lin,Hao,Nobody Inc,,\n"
        "Wu,Yi,,,lots\n"
    )
    data_import = _run(_upload(rep, text, entity_type="contact"), rep)
    assert (data_import.created, data_import.rejected) == (1, 2)
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.customer_id, contact.custom) == (acme_id, {"budget": "1200"})
    from app.services import tags

    assert [t.name for t in tags.tags_for("contacts", [contact.id])[contact.id]] == [
        "north",
        "vip",
    ]
    messages = {row[0]: row[2] for row in _report(data_import)[1:]}
    assert "Customer:" in messages["2"] and "Budget:" in messages["3"]


def test_preview_checks_rows_without_saving_anything(rep):
    make_customer(rep, name="Old Friend Co", email="friend@old.example")
    data_import = db.session.get(DataImport, _upload(rep, MESSY_FILE))

    rows = imports.preview(data_import, rep)
    db.session.commit()

    assert [row.outcome.result for row in rows] == [
        "created", "rejected", "rejected", "skipped", "skipped", "created"
    ]  # fmt: skip
    assert "Email:" in rows[1].outcome.messages[0]
    assert _customer_names() == ["Old Friend Co"]


def test_uploads_must_be_csv_text(rep):
    with pytest.raises(imports.ImportFileError):
        imports.start_import(rep, "customer", "customers.xlsx", b"Name\nAcme\n")
    with pytest.raises(imports.ImportFileError):
        imports.start_import(rep, "customer", "customers.csv", b"\xff\xfe\x00\x81\xff")
    with pytest.raises(imports.ImportFileError):
        imports.start_import(rep, "customer", "customers.csv", b"")


def test_only_the_importer_sees_an_import(rep):
    import_id = _upload(rep, MESSY_FILE)
    assert imports.get_import(rep, import_id).id == import_id
    with pytest.raises(LookupError):
        imports.get_import(make_user(Role.ADMIN), import_id)


def test_a_row_failing_after_its_record_was_written_is_rejected_whole(rep):
    long_tag = "x" * 61
    text = f"Name,Tags\nFirst,vip\nSecond,{long_tag}\nThird,\n"
    data_import = _run(_upload(rep, text), rep)
    assert (data_import.created, data_import.rejected) == (2, 1)
    assert _customer_names() == ["First", "Third"]
    assert "at most 60 characters" in _report(data_import)[1][2]


def _audit_changes(table, entity_id):
    from app.models.records import AuditEntry

    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == table, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)
    )
    return [(entry.action.value, entry.label, entry.changes) for entry in entries]


def test_imported_records_leave_the_same_audit_trail_as_records_made_one_by_one(rep):
    from app.services import customers, tags

    made = customers.create_customer(
        rep, name="Acme", email="a@acme.example", addresses=[{"kind": "BILLING", "city": "Taipei"}]
    )
    tags.add_tags(rep, "customers", made.id, ["vip"])
    made_id = made.id
    text = "Name,Email,City,Tags\nAcme,a@acme.example,Taipei,vip\n"
    data_import = _run(_upload(rep, text, duplicates="create"), rep)
    assert data_import.created == 1
    made = db.session.get(Customer, made_id)
    imported = db.session.scalar(sa.select(Customer).where(Customer.id != made.id))

    assert _audit_changes("customers", imported.id) == _audit_changes("customers", made.id)
    assert len(_audit_changes("customers", made.id)) == 2  # created, then tagged
    address_ids = [a.id for a in made.addresses + imported.addresses]
    made_address, imported_address = (_audit_changes("customer_addresses", a) for a in address_ids)
    assert made_address[0][2].pop("customer_id") == [None, made.id]
    assert imported_address[0][2].pop("customer_id") == [None, imported.id]
    assert made_address == imported_address and made_address[0][2]["city"] == [None, "Taipei"]


def test_update_mode_updates_a_record_created_earlier_in_the_same_batch(rep):
    text = "Name,Email,Industry\nAcme,a@acme.example,Retail\nAcme HQ,a@acme.example,Logistics\n"
    data_import = _run(_upload(rep, text, duplicates="update"), rep)
    assert (data_import.created, data_import.updated) == (1, 1)
    acme = db.session.scalar(sa.select(Customer))
    assert (acme.name, acme.industry) == ("Acme HQ", "Logistics")


def test_primary_contacts_in_a_batch_leave_one_primary_in_file_order(rep):
    make_customer(rep, name="Acme")
    text = "Last name,Customer,Primary contact\nChen,Acme,yes\nLin,Acme,\nWu,Acme,yes\n"
    data_import = _run(_upload(rep, text, entity_type="contact", duplicates="create"), rep)
    assert data_import.created == 3
    query = sa.select(Contact.last_name, Contact.is_primary).order_by(Contact.id)
    assert list(db.session.execute(query)) == [("Chen", False), ("Lin", False), ("Wu", True)]


def test_a_batch_whose_insert_fails_is_redone_one_row_at_a_time(rep, monkeypatch):
    from app.services import customers

    real_insert, calls = customers.insert_customers, []

    def failing_once(new):
        calls.append(len(new))
        real_insert(new)
        if len(calls) == 1:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("conflict"))

    monkeypatch.setattr(customers, "insert_customers", failing_once)
    data_import = _run(_upload(rep, MESSY_FILE), rep)

    assert calls == [3]
    assert (data_import.created, data_import.skipped, data_import.rejected) == (3, 1, 2)
    assert _customer_names() == ["Acme Trading", "Old Friend Co", "Zenith 科技"]
