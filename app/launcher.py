"""The embedded stack behind `make run`: SQLite, embedded Redis, web, worker and cron."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import queues
from app.audit import set_actor
from app.extensions import db
from app.models.identity import User

DEMO_ADMIN_EMAIL = "admin@example.com"


def _demo_password_file(app: Flask) -> str:
    return os.path.join(app.instance_path, "demo-admin-password.txt")


def prepare_database(app: Flask) -> str | None:
    """Upgrade the schema; on first run load demo data. Returns the demo admin password
    while it still works (it is kept in the instance folder, readable by its owner only)."""
    upgrade()
    path = _demo_password_file(app)
    if db.session.execute(sa.select(User.id).limit(1)).first() is None:
        from app.services import demo

        password = secrets.token_urlsafe(12)
        set_actor(db.session, None, source="cli")
        demo.seed(seed=42, scale="small", admin_password=password)
        db.session.commit()
        demo.fit_forecasts()
        demo.train_models()
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(password)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        password = fh.read().strip()
    admin = db.session.execute(
        sa.select(User).where(User.email == DEMO_ADMIN_EMAIL)
    ).scalar_one_or_none()
    return password if admin is not None and admin.check_password(password) else None


def serve_embedded(app: Flask, host: str, port: int) -> None:
    password = prepare_database(app)
    env = dict(os.environ)
    embedded = None
    if not app.config.get("REDIS_URL"):
        embedded = queues.start_embedded(app.instance_path)
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    commands = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
        "worker": flask + ["rapport", "worker"],
        "cron": flask + ["rapport", "cron"],
    }
    processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
    click.echo("")
    click.secho(f"Rapport is running at http://{host}:{port}/", bold=True)
    if password:
        click.echo(f"Sign in as {DEMO_ADMIN_EMAIL} with password {password}")
    else:
        click.echo("Sign in with your account (reset one with `flask rapport create-admin`).")
    click.echo("Press Ctrl-C to stop web server, worker, scheduler and embedded Redis.\n")
    _wait(processes)
    if embedded is not None:
        embedded.shutdown()


def _wait(processes: dict[str, subprocess.Popen]) -> None:
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                click.echo(f"{name} exited with status {process.returncode}; stopping the rest.")
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    click.echo("Stopped.")
