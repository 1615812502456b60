"""`flask rapport ...` commands: serve, worker, cron, seed, create-admin, backup, restore."""

from __future__ import annotations

import os
import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.audit import set_actor
from app.extensions import db
from app.models.predictions import PredictionKind

rapport = AppGroup("rapport", help="Rapport CRM commands.")


@rapport.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", default="Administrator", show_default=True)
@click.option("--password", help="Leave out to be prompted; --generate prints a random one.")
@click.option("--generate", is_flag=True, help="Generate and print a random password.")
def create_admin(email: str, name: str, password: str | None, generate: bool) -> None:
    """Create an administrator, or reset an existing user to administrator."""
    from app.services.accounts import AccountError, ensure_admin

    if generate:
        password = secrets.token_urlsafe(12)
    elif not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    set_actor(db.session, None, source="cli")
    try:
        user = ensure_admin(email, name, password)
    except AccountError as error:
        raise click.BadParameter(str(error), param_hint="--password") from error
    db.session.commit()
    click.echo(f"Administrator {user.email} is ready.")
    if generate:
        click.echo(f"Password: {password}")


@rapport.command()
@click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed.")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small", show_default=True)
def seed(seed_value: int, scale: str) -> None:
    """Load deterministic, bilingual demo data."""
    from app.services import demo

    password = secrets.token_urlsafe(12)
    set_actor(db.session, None, source="cli")
    try:
        summary = demo.seed(seed=seed_value, scale=scale, admin_password=password)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for name, count in summary.items():
        click.echo(f"{name}: {count}")
    click.echo(f"forecast series: {demo.fit_forecasts()}")
    click.echo(f"AI models: {demo.train_models()}")
    click.echo(f"Sign in as admin@example.com with password {password}")


@rapport.command("fit-forecasts")
def fit_forecasts() -> None:
    """Fit every sales forecast now (the nightly job does it too)."""
    from app.services import demo

    click.echo(f"forecast series: {demo.fit_forecasts()}")


@rapport.command("ai-eval")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([kind.value.lower() for kind in PredictionKind]),
    help="Evaluate only these predictions (repeatable); all by default.",
)
@click.option("--seed", "seed_value", default=7, show_default=True, help="Random seed.")
@click.option("--size", default=1.0, show_default=True, help="Scale of the planted histories.")
def ai_eval(kinds: tuple[str, ...], seed_value: int, size: float) -> None:
    """Evaluate every prediction on a planted history in scratch databases (your data is
    never touched) and print AUC, Brier, calibration, precision@5 and recall@5."""
    from app.services.predictions import harness

    chosen = [PredictionKind(kind.upper()) for kind in kinds] or None
    results = harness.run(chosen, seed=seed_value, size=size)
    click.echo(harness.format_results(results))
    if not all(result["met"] for result in results):
        raise SystemExit(1)


@rapport.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.argument("queue_names", nargs=-1)
def worker(burst: bool, queue_names: tuple[str, ...]) -> None:
    """Run an RQ worker inside the app (all queues unless some are named)."""
    from rq import SimpleWorker

    from app import queues

    names = queue_names or current_app.config["RQ_QUEUES"]
    # SimpleWorker runs jobs in this process: no fork per job (~3x the throughput), and
    # jobs see the app context this command already pushed.
    SimpleWorker([queues.queue(n) for n in names], connection=queues.connection()).work(
        burst=burst, with_scheduler=True
    )


@rapport.command()
def cron() -> None:
    """Run RQ's cron scheduler with Rapport's periodic jobs."""
    from rq.cron import CronScheduler

    from app import queues
    from app.jobs.cron import register_periodic_jobs

    scheduler = CronScheduler(connection=queues.connection(), name="rapport-cron")
    register_periodic_jobs(scheduler)
    scheduler.start()


@rapport.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Migrate, seed on first run, then run web, worker and cron until Ctrl-C."""
    from app.launcher import serve_embedded

    serve_embedded(current_app._get_current_object(), host=host, port=port)


@rapport.command("ingest-email")
def ingest_email() -> None:
    """Take in one email from stdin as a ticket or a reply (for an MTA pipe).

    Exits 0 when handled, auto-replies and loops included (they are ignored); 65
    (EX_DATAERR: the mail server bounces it) when the input is not an email, 75
    (EX_TEMPFAIL: the mail server retries later) when it could not be stored now."""
    import sys

    from app.services import ticket_mail

    raw = sys.stdin.buffer.read()
    set_actor(db.session, None, source="email")
    try:
        result = ticket_mail.ingest(raw)
        db.session.commit()
    except ticket_mail.MailUnreadable as error:
        db.session.rollback()
        click.echo(f"Not an email: {error}", err=True)
        sys.exit(65)
    except Exception as error:  # the database or Redis is down: let the MTA try again
        db.session.rollback()
        click.echo(f"Could not take the email in now: {error}", err=True)
        sys.exit(75)
    click.echo(f"{result.action} {result.ticket_id or ''} {result.reason}".strip())


@rapport.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    help="Folder for the archive (default: RAPPORT_BACKUP_DIR, or instance/backups).",
)
@click.option("--prune", is_flag=True, help="Then keep only the newest RAPPORT_BACKUP_KEEP.")
def backup(output_dir: str | None, prune: bool) -> None:
    """Write one archive of the database and the uploaded files (safe while Rapport runs)."""
    from app.services import backup_restore, backups

    set_actor(db.session, None, source="cli")
    try:
        archive = backups.create_backup(output_dir)
    except backups.BackupFailed as error:
        raise click.ClickException(str(error)) from error
    pruned = backups.prune(os.path.dirname(archive.path)) if prune else []
    backups.record(archive, pruned)
    db.session.commit()
    click.echo(f"Backup written: {archive.path} ({archive.size:,} bytes)")
    click.echo(backup_restore.summary(backups.read_manifest(archive.path)))
    for old in pruned:
        click.echo(f"Deleted the older backup {old.name}")


@rapport.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Restore without asking for confirmation.")
def restore(archive: str, yes: bool) -> None:
    """Restore a backup ARCHIVE into an empty database (DATABASE_URL) and the instance
    folder, then check every table against the backup. Stop web, worker and cron first.

    Exits 1 when the archive or the database is refused (nothing changed) or when a
    restored table differs from the backup."""
    import sys

    from sqlalchemy.engine import make_url

    from app.services import backup_restore, backups

    target = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        manifest = backup_restore.read_manifest(archive)
        click.echo(backup_restore.summary(manifest))
        if not yes:
            click.confirm(f"Restore it into {target.render_as_string()}?", abort=True)
        result = backup_restore.restore(archive)
    except (backup_restore.RestoreRefused, backups.BackupFailed) as error:
        raise click.ClickException(f"Not restored: {error}") from error
    click.echo(f"Restored {len(manifest['tables'])} tables and {result.files} stored files.")
    if not result.ok:
        click.echo("MISMATCH: these tables differ from the backup:", err=True)
        for difference in result.differences:
            click.echo(f"  {difference.describe()}", err=True)
        sys.exit(1)
    click.echo("OK: every table's row count and checksum match the backup.")
    if backup_restore.needs_upgrade(manifest):
        click.echo("This Rapport is newer than the backup: run `flask db upgrade` next.")


def register(app: Flask) -> None:
    app.cli.add_command(rapport)
