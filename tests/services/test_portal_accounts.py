"""Portal accounts: invitations by email with a 7-day single-use link, passwords as strict
as staff ones, throttled sign-in with one answer for every failure, resets that never say
whether an account exists, deactivation; and what `portal_access` lets each portal user see."""

import re

import pytest
from werkzeug.security import generate_password_hash

from app import permissions
from app.extensions import db
from app.models.identity import Role
from app.models.service import PortalUser
from app.services import after_commit, portal_access, portal_accounts
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_user
from tests.portal_setup import PORTAL_PASSWORD, make_company, make_portal_user, staff


def _contact(email="carla@acme.example"):
    rep = make_user(Role.SALES)
    return make_contact(rep, make_customer(rep), first_name="Carla", email=email)


def _invite(contact, actor=None):
    actor = actor or make_user(Role.SUPPORT)
    portal_user = portal_accounts.invite(contact, actor)
    db.session.commit()
    return portal_user


def _link_token(message) -> str:
    body = message.get_content()
    return re.search(r"http://rapport.test/portal/set-password/(\S+)", body).group(1)


def test_invite_emails_a_set_password_link_after_the_commit(worker, smtp):
    contact = _contact(email="Carla@Acme.example")
    agent = make_user(Role.SUPPORT)
    portal_user = portal_accounts.invite(contact, agent)
    assert after_commit.pending() == 1  # nothing queued before the commit
    db.session.commit()
    worker()
    assert portal_user.email == "carla@acme.example" and portal_user.invited_at is not None
    assert portal_user.password_hash is None and portal_user.is_active
    assert [m["To"] for m in smtp] == ["carla@acme.example"]
    token = _link_token(smtp[0])
    assert portal_accounts.user_for_token(token).id == portal_user.id


def test_a_rolled_back_invite_sends_nothing(worker, smtp):
    contact = _contact()
    portal_accounts.invite(contact, make_user(Role.SUPPORT))
    db.session.rollback()
    worker()
    assert smtp == [] and db.session.query(PortalUser).count() == 0


def test_invite_needs_the_permission_and_an_email():
    with pytest.raises(permissions.PermissionDenied):
        portal_accounts.invite(_contact(), make_user(Role.MARKETING))
    with pytest.raises(RecordInvalid) as refused:
        portal_accounts.invite(_contact(email=""), make_user(Role.SUPPORT))
    assert "email" in refused.value.errors


def test_an_email_used_by_another_contacts_account_is_refused():
    _invite(_contact(email="shared@acme.example"))
    with pytest.raises(RecordInvalid):
        portal_accounts.invite(_contact(email="shared@acme.example"), make_user(Role.SUPPORT))


def test_inviting_again_reactivates_the_same_account():
    contact = _contact()
    agent = make_user(Role.MANAGER)
    first = _invite(contact, agent)
    portal_accounts.deactivate(first, agent)
    db.session.commit()
    again = _invite(contact, agent)
    assert again.id == first.id and again.is_active
    assert db.session.query(PortalUser).count() == 1


def test_the_link_sets_a_password_once_and_follows_the_staff_rules():
    portal_user = _invite(_contact())
    token = portal_accounts.password_token(portal_user)
    with pytest.raises(RecordInvalid) as short:
        portal_accounts.set_password(token, "short")
    assert "password" in short.value.errors
    version = portal_user.session_version
    portal_accounts.set_password(token, PORTAL_PASSWORD)
    db.session.commit()
    assert portal_user.session_version == version + 1
    with pytest.raises(RecordInvalid) as used:
        portal_accounts.set_password(token, "another long password")
    assert "token" in used.value.errors
    assert portal_accounts.authenticate(portal_user.email, PORTAL_PASSWORD).id == portal_user.id


def test_forged_or_staff_tokens_are_refused():
    from app.services import accounts

    portal_user = _invite(_contact())
    staff_token = accounts.password_reset_token(make_user())
    for token in ("nonsense", portal_accounts.password_token(portal_user) + "x", staff_token):
        assert portal_accounts.user_for_token(token) is None


def test_sign_in_failures_say_the_same_and_are_throttled():
    portal_user = make_portal_user(_contact())
    messages = set()
    for email, password in (("nobody@acme.example", "whatever"), (portal_user.email, "wrong")):
        with pytest.raises(portal_accounts.SignInRefused) as refused:
            portal_accounts.authenticate(email, password, "10.0.0.1")
        messages.add(str(refused.value))
    assert messages == {"Invalid email or password."}
    for _ in range(5):  # testing config: 5 failures per account
        with pytest.raises(portal_accounts.SignInRefused):
            portal_accounts.authenticate(portal_user.email, "wrong", "10.0.0.2")
    with pytest.raises(portal_accounts.SignInRefused) as throttled:
        portal_accounts.authenticate(portal_user.email, PORTAL_PASSWORD, "10.0.0.3")
    assert "Too many" in str(throttled.value)


def test_staff_credentials_do_not_open_the_portal_and_vice_versa():
    from app.services import accounts

    user = make_user(email="same@acme.example")
    contact = _contact(email="same@acme.example")
    make_portal_user(contact)
    with pytest.raises(portal_accounts.SignInRefused):
        portal_accounts.authenticate("same@acme.example", "correct horse battery")
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate("same@acme.example", PORTAL_PASSWORD, None)
    assert user.id


def test_deactivated_accounts_cannot_sign_in_and_their_sessions_end():
    portal_user = make_portal_user(_contact())
    session_value = portal_accounts.session_value(portal_user)
    assert portal_accounts.load_session(session_value).id == portal_user.id
    portal_accounts.deactivate(portal_user, make_user(Role.MANAGER))
    db.session.commit()
    assert portal_accounts.load_session(session_value) is None
    with pytest.raises(portal_accounts.SignInRefused):
        portal_accounts.authenticate(portal_user.email, PORTAL_PASSWORD)


def test_reset_is_sent_only_to_existing_accounts(worker, smtp):
    portal_user = make_portal_user(_contact())
    portal_accounts.request_reset(portal_user.email.upper())
    portal_accounts.request_reset("nobody@acme.example")
    db.session.commit()
    worker()
    assert [m["To"] for m in smtp] == [portal_user.email]
    assert portal_accounts.user_for_token(_link_token(smtp[0])).id == portal_user.id


def test_company_admin_flag_needs_the_edit_permission():
    portal_user = make_portal_user(_contact())
    with pytest.raises(permissions.PermissionDenied):
        portal_accounts.set_company_admin(portal_user, make_user(Role.SALES), True)
    portal_accounts.set_company_admin(portal_user, make_user(Role.SUPPORT), True)
    assert portal_user.is_company_admin


def test_session_values_must_match_the_version():
    portal_user = make_portal_user(_contact())
    for value in (None, "", "x:1", f"{portal_user.id}:99", f"{portal_user.id}"):
        assert portal_accounts.load_session(value) is None
    portal_user.password_hash = generate_password_hash("new one please")
    portal_user.session_version += 1
    assert portal_accounts.load_session(f"{portal_user.id}:1") is None


# ------------------------------------------------------------ what a portal user sees


def test_a_contact_sees_their_own_tickets_and_documents_addressed_to_them():
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    b = make_company("Beta", agent, rep)
    user = a.portal_user
    assert {t.id for t in db.session.scalars(portal_access.tickets_query(user))} == {a.ticket.id}
    assert portal_access.ticket(user, a.colleague_ticket.id) is None
    assert portal_access.ticket(user, b.ticket.id) is None
    assert [q.id for q in db.session.scalars(portal_access.quotes_query(user))] == [a.quote.id]
    assert portal_access.quote(user, a.draft_quote.id) is None
    assert portal_access.quote(user, b.quote.id) is None
    assert portal_access.order(user, a.order.id).id == a.order.id
    assert portal_access.order(user, b.order.id) is None


def test_a_company_admin_sees_all_of_the_company_but_nothing_of_others():
    agent, rep = staff()
    a = make_company("Alpha", agent, rep, admin=True)
    b = make_company("Beta", agent, rep)
    user = a.portal_user
    seen = {t.id for t in db.session.scalars(portal_access.tickets_query(user))}
    assert seen == {a.ticket.id, a.colleague_ticket.id}
    other_order = make_order_for(rep, a.customer)
    assert portal_access.order(user, other_order.id) is not None
    assert portal_access.order(user, b.order.id) is None
    assert portal_access.ticket(user, b.ticket.id) is None


def make_order_for(rep, customer):
    from tests.factories import make_order

    return make_order(rep, customer, lines=[{"name": "x", "quantity": "1", "unit_price": "1"}])


def test_internal_notes_and_their_files_are_never_shown():
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    bodies = [c.body for c in portal_access.conversation(a.ticket)]
    assert bodies == ["Alpha public answer"]
    files = [f.id for f in portal_access.attachments(a.ticket)]
    assert files == [a.public_attachment.id]
    assert portal_access.attachment(a.portal_user, a.ticket.id, a.note_attachment.id) is None
    found = portal_access.attachment(a.portal_user, a.ticket.id, a.public_attachment.id)
    assert found[1].id == a.public_attachment.id


def test_only_published_public_articles_are_shown():
    from app.models.service import ArticleVisibility
    from tests.portal_setup import make_article

    author = make_user(Role.SUPPORT)
    public = make_article(author, "Public")
    internal = make_article(author, "Internal", visibility=ArticleVisibility.INTERNAL)
    draft = make_article(author, "Draft", publish=False)
    assert portal_access.article(public.id).id == public.id
    assert portal_access.article(internal.id) is None
    assert portal_access.article(draft.id) is None
    assert portal_access.article(999999) is None
