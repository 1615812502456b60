import sqlalchemy as sa

from app.models.identity import Role, User


def test_create_admin_creates_an_administrator(app, db):
    result = app.test_cli_runner().invoke(
        args=["rapport", "create-admin", "--email", "Boss@Example.com", "--generate"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    db.session.expire_all()
    user = db.session.execute(sa.select(User).where(User.email == "boss@example.com")).scalar_one()
    assert user.role is Role.ADMIN and user.check_password(password)


def test_create_admin_refuses_a_short_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["rapport", "create-admin", "--email", "boss@example.com", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10" in result.output
    assert db.session.execute(sa.select(User)).first() is None


def test_seed_command_prints_the_admin_login(app, db):
    result = app.test_cli_runner().invoke(args=["rapport", "seed", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "users: 13" in result.output and "admin@example.com" in result.output
    again = app.test_cli_runner().invoke(args=["rapport", "seed"])
    assert again.exit_code != 0 and "already has users" in again.output
