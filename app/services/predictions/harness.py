"""The evaluation harness behind `flask rapport ai-eval` and `python -m bench.ai_eval`: for
each prediction, a synthetic history with a planted ground truth is written into its own
scratch database, the real training code learns from its past, and the figures on its
future are printed beside the issue's target. A company's own database is never touched.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable

from app.models.predictions import PredictionKind
from app.services.predictions import model_store, registry

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "migrations")

# kind -> (what the target says, whether the figures meet it)
TARGETS: dict[PredictionKind, tuple[str, Callable[[dict], bool]]] = {
    PredictionKind.LEAD_SCORE: ("AUC >= 0.80", lambda f: (f.get("auc") or 0) >= 0.80),
    PredictionKind.WIN: (
        "Brier better than the stage defaults",
        lambda f: (
            f.get("brier_model") is not None and f["brier_model"] < f.get("brier_stage_default", 0)
        ),
    ),
    PredictionKind.CHURN: ("AUC >= 0.80", lambda f: (f.get("auc") or 0) >= 0.80),
    PredictionKind.RECOMMEND: (
        "precision@5 >= 2x popularity",
        lambda f: (f.get("ratio") or 0) >= 2.0,
    ),
    PredictionKind.NEXT_ACTION: ("(no target: figures only)", lambda f: True),
    PredictionKind.KB: (
        "recall@5 >= 0.8 in each language",
        lambda f: (f.get("recall_at_5_en") or 0) >= 0.8 and (f.get("recall_at_5_zh") or 0) >= 0.8,
    ),
}


def scratch_app(url: str | None, workdir: str, name: str):
    """An app on its own empty database at the latest migration: a SQLite file in
    `workdir`, or `url` (whose schema is dropped and rebuilt: never point it at a database
    you keep)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    target = url or f"sqlite:///{os.path.join(workdir, name)}.db"
    # Its instance folder (embedded Redis and files) is the scratch folder, not yours.
    previous = os.environ.get("RAPPORT_INSTANCE_PATH")
    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": target}, env="testing")
    finally:
        if previous is None:
            del os.environ["RAPPORT_INSTANCE_PATH"]
        else:
            os.environ["RAPPORT_INSTANCE_PATH"] = previous
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        logging.disable(logging.INFO)  # Alembic's step-by-step lines would bury the figures
        try:
            upgrade(directory=MIGRATIONS)
        finally:
            logging.disable(logging.NOTSET)
    return app


def run(
    kinds: Iterable[PredictionKind] | None = None,
    *,
    seed: int = 7,
    size: float = 1.0,
    database_url: str | None = None,
) -> list[dict]:
    """Evaluate each kind on its planted history; one result per kind with its figures,
    the target, whether it was met and the seconds it took."""
    from app.audit import set_actor
    from app.extensions import db

    results = []
    with tempfile.TemporaryDirectory(prefix="rapport-ai-eval-") as workdir:
        for kind in kinds or list(PredictionKind):
            app = scratch_app(database_url, workdir, kind.value.lower())
            with app.app_context(), app.test_request_context():
                set_actor(db.session, None, source="cli")
                module = registry.module(kind)
                started = time.perf_counter()
                figures = module.evaluate_planted(seed=seed, size=size)
                seconds = time.perf_counter() - started
                version = model_store.latest(kind)
                table = (version.metrics or {}).get("calibration") if version else None
                if table:
                    figures["calibration"] = calibration_line(table)
                # How fast the stored scores are written for the planted records.
                started = time.perf_counter()
                scored = module.score_all()
                if scored:
                    figures["records_scored"] = scored
                    figures["scored_per_second"] = round(scored / (time.perf_counter() - started))
                db.session.rollback()
                db.session.remove()
            target, met = TARGETS[kind]
            results.append(
                {
                    "kind": kind.value,
                    "figures": figures,
                    "target": target,
                    "met": bool(met(figures)),
                    "seconds": round(seconds, 1),
                }
            )
    return results


def calibration_line(table: list[dict]) -> str:
    """A reliability table in one line: per bin, mean predicted -> observed rate (count)."""
    return " | ".join(
        f"{row['predicted']:.2f}->{row['observed']:.2f} ({row['n']})" for row in table
    )


def format_results(results: list[dict]) -> str:
    """The printed report: one block per prediction, figures to three decimals."""
    lines = []
    for result in results:
        verdict = "MET" if result["met"] else "NOT MET"
        lines.append(
            f"{result['kind']}  target: {result['target']}  -> {verdict}  ({result['seconds']} s)"
        )
        for key, value in result["figures"].items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            lines.append(f"    {key:<28} {shown}")
    return "\n".join(lines)
