import pytest

from app.models.identity import Role
from app.services import accounts
from tests.factories import PASSWORD, make_user


def test_authenticate_returns_the_user_for_the_right_password():
    user = make_user(email="Ana@Example.com")
    assert accounts.authenticate(" ana@example.COM ", PASSWORD, "10.0.0.1") == user


def test_unknown_user_and_wrong_password_get_the_same_message():
    make_user(email="known@example.com")
    with pytest.raises(accounts.SignInRefused) as wrong:
        accounts.authenticate("known@example.com", "not the password", "10.0.0.1")
    with pytest.raises(accounts.SignInRefused) as unknown:
        accounts.authenticate("nobody@example.com", "not the password", "10.0.0.1")
    assert str(wrong.value) == str(unknown.value) == "Invalid email or password."


def test_account_is_throttled_after_repeated_failures_even_with_the_right_password(app):
    make_user(email="target@example.com")
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    for n in range(limit):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate("target@example.com", "guess", f"10.0.1.{n}")
    with pytest.raises(accounts.SignInRefused, match="Too many"):
        accounts.authenticate("target@example.com", PASSWORD, "10.0.9.9")


def test_ip_is_throttled_across_accounts(app):
    make_user(email="victim@example.com")
    for n in range(app.config["LOGIN_FAILURES_PER_IP"]):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(f"spray{n}@example.com", "guess", "192.0.2.7")
    with pytest.raises(accounts.SignInRefused, match="Too many"):
        accounts.authenticate("victim@example.com", PASSWORD, "192.0.2.7")
    assert accounts.authenticate("victim@example.com", PASSWORD, "192.0.2.8")


def test_deactivated_user_cannot_sign_in():
    make_user(email="gone@example.com", is_active=False)
    with pytest.raises(accounts.SignInRefused, match="Invalid email or password"):
        accounts.authenticate("gone@example.com", PASSWORD, "10.0.0.1")


def test_reset_token_works_once(db):
    user = make_user()
    token = accounts.password_reset_token(user)
    assert accounts.user_for_reset_token(token) == user
    accounts.reset_password(user, "a brand new password")
    db.session.commit()
    assert accounts.user_for_reset_token(token) is None


def test_reset_token_expires(app):
    user = make_user()
    token = accounts.password_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert accounts.user_for_reset_token(token) is None
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_tampered_reset_token_is_refused():
    user = make_user()
    token = accounts.password_reset_token(user)
    assert accounts.user_for_reset_token(token[:-2] + "xx") is None


def test_short_password_is_refused():
    user = make_user()
    with pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.reset_password(user, "short")


def test_manager_cannot_create_an_admin():
    from app.permissions import PermissionDenied

    manager = make_user(role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        accounts.create_user(
            actor=manager, email="x@example.com", name="X", role=Role.ADMIN, password=PASSWORD
        )


def test_admin_creates_a_user_in_a_team():
    from tests.factories import make_team

    admin = make_user(role=Role.ADMIN)
    team = make_team("Sales North")
    user = accounts.create_user(
        actor=admin,
        email="New@Example.com",
        name="New",
        role=Role.SALES,
        password=PASSWORD,
        team=team,
    )
    assert user.email == "new@example.com" and user.team == team


def test_duplicate_email_is_refused():
    admin = make_user(role=Role.ADMIN, email="taken@example.com")
    with pytest.raises(accounts.AccountError, match="already has this email"):
        accounts.create_user(
            actor=admin, email="TAKEN@example.com", name="X", role=Role.SALES, password=PASSWORD
        )
