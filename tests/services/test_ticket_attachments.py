"""Ticket attachments: checked like deal documents, stored outside the web root under a
random name, and downloaded only by those who may read the ticket, always as a download."""

import io
import os
import pathlib

import pytest

from app.extensions import db
from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import ticket_attachments as files
from app.services import tickets
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user


@pytest.fixture
def team():
    return make_team("First line")


@pytest.fixture
def agent(team):
    return make_user(Role.SUPPORT, team=team, name="Amy")


def test_a_path_in_the_name_is_dropped_and_the_file_stored_under_a_random_name(app, agent):
    ticket = make_ticket(agent)
    attachment = files.save_attachment(
        ticket, "../../x.html", io.BytesIO(b"<script>alert(1)</script>"), actor=agent
    )
    assert attachment.filename == "x.html" and len(attachment.stored_name) == 64
    path = files.attachment_path(attachment)
    assert path.startswith(os.path.join(app.instance_path, files.ATTACHMENTS_FOLDER))
    assert os.path.basename(path) == attachment.stored_name
    assert pathlib.Path(path).read_bytes() == b"<script>alert(1)</script>"
    assert files.attachments_of(ticket) == [attachment]


def test_the_stored_type_comes_from_the_extension_not_the_content(agent):
    ticket = make_ticket(agent)
    log = files.save_attachment(ticket, "server.log", io.BytesIO(b"ERROR boom"), actor=agent)
    mail = files.save_attachment(ticket, "fwd.eml", io.BytesIO(b"From: a@b.c\n"), actor=agent)
    assert log.content_type == "text/plain; charset=utf-8"
    assert mail.content_type == "message/rfc822"


def test_a_png_whose_bytes_are_html_is_refused(agent):
    ticket = make_ticket(agent)
    with pytest.raises(RecordInvalid) as refused:
        files.save_attachment(ticket, "shot.png", io.BytesIO(b"<html><body>"), actor=agent)
    assert "not really a .png" in refused.value.errors["file"]
    assert files.attachments_of(ticket) == []


def test_a_file_over_10_mb_is_refused(agent):
    ticket = make_ticket(agent)
    big = io.BytesIO(b"%PDF-" + b"0" * (11 * 2**20))
    with pytest.raises(RecordInvalid) as refused:
        files.save_attachment(ticket, "big.pdf", big, actor=agent)
    assert "10 MB" in refused.value.errors["file"]


def test_only_those_who_may_edit_attach_and_a_contact_only_to_their_tickets(agent):
    ticket = make_ticket(agent)
    outsider = make_user(Role.SUPPORT, team=make_team())
    with pytest.raises(PermissionDenied):
        files.save_attachment(ticket, "a.txt", io.BytesIO(b"hi"), actor=outsider)
    customer = make_customer(agent)
    ours = make_contact(agent, customer=customer)
    theirs = make_contact(agent, customer=make_customer(agent))
    portal_ticket = make_ticket(None, contact=ours)
    by_contact = files.save_attachment(portal_ticket, "a.txt", io.BytesIO(b"hi"), by_contact=ours)
    assert by_contact.uploaded_by_contact_id == ours.id and by_contact.uploaded_by_user_id is None
    with pytest.raises(PermissionDenied):
        files.save_attachment(portal_ticket, "a.txt", io.BytesIO(b"hi"), by_contact=theirs)


def test_files_of_internal_notes_are_left_out_for_customers(agent):
    ticket = make_ticket(agent)
    note = tickets.add_comment(ticket, agent, "Internal", internal=True)
    reply = tickets.add_comment(ticket, agent, "Public")
    hidden = files.save_attachment(ticket, "a.txt", io.BytesIO(b"x"), actor=agent, comment=note)
    shown = files.save_attachment(ticket, "b.txt", io.BytesIO(b"y"), actor=agent, comment=reply)
    assert files.attachments_of(ticket) == [hidden, shown]
    assert files.attachments_of(ticket, include_internal=False) == [shown]


def _download(client, ticket, attachment):
    db.session.commit()
    return client.get(f"/tickets/{ticket.id}/attachments/{attachment.id}")


def test_the_download_is_always_an_attachment_with_a_safe_name(login, agent):
    ticket = make_ticket(agent)
    attachment = files.save_attachment(
        ticket, "../../x.html", io.BytesIO(b"<script>alert(1)</script>"), actor=agent
    )
    db.session.commit()
    response = _download(login(agent), ticket, attachment)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "x.html" in disposition
    assert ".." not in disposition and "/" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox;")
    assert response.data == b"<script>alert(1)</script>"


def test_a_forged_content_type_is_ignored_on_upload(login, agent):
    from tests.conftest import post_form

    ticket = make_ticket(agent)
    client = login(agent)
    upload = (io.BytesIO(b"plain words"), "notes.txt", "text/html")
    response = post_form(
        client,
        f"/tickets/{ticket.id}/reply",
        {"body": "See the file", "attachments": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    (attachment,) = files.attachments_of(ticket)
    assert attachment.content_type == "text/plain; charset=utf-8"
    download = _download(client, ticket, attachment)
    assert download.mimetype == "text/plain"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_another_teams_agent_gets_404_on_the_download(login, agent):
    ticket = make_ticket(agent)
    attachment = files.save_attachment(ticket, "a.txt", io.BytesIO(b"secret"), actor=agent)
    outsider = make_user(Role.SUPPORT, team=make_team("Second line"))
    db.session.commit()
    assert _download(login(outsider), ticket, attachment).status_code == 404


def test_an_attachment_of_another_ticket_is_not_found_through_this_one(login, agent):
    first, second = make_ticket(agent), make_ticket(agent)
    attachment = files.save_attachment(second, "a.txt", io.BytesIO(b"x"), actor=agent)
    db.session.commit()
    assert _download(login(agent), first, attachment).status_code == 404
