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
    # The demo's forecasts are fitted at once: the company's, each team's and each line's.
    fitted = int(result.output.split("forecast series: ")[1].split()[0])
    assert fitted > 0
    from app.models.analytics import ForecastRun

    assert db.session.query(ForecastRun).count() == fitted  # series at both grains
    again = app.test_cli_runner().invoke(args=["rapport", "seed"])
    assert again.exit_code != 0 and "already has users" in again.output


def test_ingest_email_takes_a_message_from_stdin_for_an_mta_pipe(app, db):
    from app.models.service import Ticket
    from tests.services.test_ticket_mail import email

    runner = app.test_cli_runner()
    result = runner.invoke(args=["rapport", "ingest-email"], input=email(subject="Help"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created")
    db.session.expire_all()
    assert db.session.execute(sa.select(Ticket.subject)).scalar_one() == "Help"

    auto = email(subject="Away", Auto_Submitted="auto-replied")
    ignored = runner.invoke(args=["rapport", "ingest-email"], input=auto)
    assert ignored.exit_code == 0 and ignored.output.startswith("ignored")

    garbage = runner.invoke(args=["rapport", "ingest-email"], input=b"not an email")
    assert garbage.exit_code == 65 and "Not an email" in garbage.output
    assert db.session.execute(sa.select(sa.func.count(Ticket.id))).scalar_one() == 1


def test_ai_eval_prints_the_figures_and_never_touches_the_database(app, db):
    import sqlalchemy as sa

    from app.models.predictions import PredictionModel
    from app.models.sales import Lead

    result = app.test_cli_runner().invoke(
        args=["rapport", "ai-eval", "--kind", "lead_score", "--size", "0.4", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "LEAD_SCORE  target: AUC >= 0.80  -> MET" in result.output
    assert "auc" in result.output and "calibration" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PredictionModel)) == 0
