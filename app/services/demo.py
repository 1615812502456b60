"""Deterministic, bilingual demo data for `flask rapport seed`.

Each module adds a seeder to SEEDERS; they run in order with one shared random generator,
so the same --seed always produces the same CRM.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role, Team, User
from app.services.demo_costs import seed_sales_costs
from app.services.demo_customers import seed_customers
from app.services.demo_leads import seed_leads
from app.services.demo_marketing import seed_marketing
from app.services.demo_opportunities import seed_opportunities
from app.services.demo_products import seed_products
from app.services.demo_quotes import seed_quotes
from app.services.demo_service import seed_service
from app.services.demo_targets import seed_targets

DEMO_PASSWORD = "rapport-demo-1"  # noqa: S105 - only for seeded demo staff
SCALES = {
    "small": {
        "users": 12,
        "customers": 60,
        "contacts": 180,
        "activities": 600,
        "leads": 150,
        "opportunities": 120,
        "quotes": 60,
        "orders": 80,
        "tickets": 300,
        "ticket_comments": 900,
        "campaigns": 24,
        "campaign_audience": (30, 120),
        "events": 3_000,
    },
    "large": {
        "users": 300,
        "customers": 100_000,
        "contacts": 250_000,
        "activities": 1_000_000,
        "leads": 100_000,
        "opportunities": 50_000,
        "quotes": 20_000,
        "orders": 20_000,
        "tickets": 100_000,
        "ticket_comments": 300_000,
        "campaigns": 150,
        "campaign_audience": (2_000, 8_000),
        "events": 2_000_000,
    },
}

TEAMS = [
    ("Sales North", "北區業務部"),
    ("Sales South", "南區業務部"),
    ("Marketing", "行銷部"),
    ("Customer Support", "客服部"),
]
FIRST_NAMES_EN = ["Alice", "Brian", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry"]
LAST_NAMES_EN = ["Chen", "Lin", "Wang", "Smith", "Huang", "Garcia", "Wu", "Taylor"]
SURNAMES_ZH = ["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊"]
GIVEN_ZH = ["志明", "淑芬", "家豪", "怡君", "俊傑", "雅婷", "冠宇", "佩珊"]
ROLE_FOR_TEAM = {0: Role.SALES, 1: Role.SALES, 2: Role.MARKETING, 3: Role.SUPPORT}


@dataclasses.dataclass
class SeedContext:
    """What seeders share: the random generator, the volumes, and the staff made so far."""

    rng: random.Random
    size: dict
    admin_password: str
    staff: list[User] = dataclasses.field(default_factory=list)


def seed_users_and_teams(ctx: SeedContext) -> dict:
    rng = ctx.rng
    admin = User(email="admin@example.com", name="Admin 管理員", role=Role.ADMIN, locale="en")
    admin.set_password(ctx.admin_password)
    db.session.add(admin)
    teams = [Team(name=f"{en} {zh}", description=zh) for en, zh in TEAMS]
    db.session.add_all(teams)
    db.session.flush()
    users = []
    for n in range(ctx.size["users"]):
        team_no = n % len(teams)
        if rng.random() < 0.5:
            name = f"{rng.choice(FIRST_NAMES_EN)} {rng.choice(LAST_NAMES_EN)}"
            locale = "en"
        else:
            name = rng.choice(SURNAMES_ZH) + rng.choice(GIVEN_ZH)
            locale = "zh_Hant"
        role = Role.MANAGER if n < len(teams) else ROLE_FOR_TEAM[team_no]
        user = User(
            email=f"user{n + 1}@example.com",
            name=name,
            role=role,
            team=teams[team_no],
            locale=locale,
        )
        # Hashing is deliberately slow; demo staff share one precomputed hash.
        users.append(user)
    shared = User(email="x", name="x")
    shared.set_password(DEMO_PASSWORD)
    for user in users:
        user.password_hash = shared.password_hash
    db.session.add_all(users)
    db.session.flush()
    ctx.staff = [admin, *users]
    return {"teams": len(teams), "users": len(users) + 1}


SEEDERS: list[Callable[[SeedContext], dict]] = [
    seed_users_and_teams,
    seed_customers,
    seed_leads,
    seed_products,
    seed_opportunities,
    seed_quotes,
    # Last, so the sales data stays what it was before the service desk came.
    seed_service,
    seed_targets,
    seed_marketing,
    seed_sales_costs,
]


def seed(seed: int = 42, scale: str = "small", admin_password: str | None = None) -> dict:
    """Fill an empty database with demo data; refuses to touch one that has users."""
    if db.session.execute(sa.select(User.id).limit(1)).first() is not None:
        raise RuntimeError("The database already has users; seed only an empty database.")
    ctx = SeedContext(
        rng=random.Random(seed),
        size=SCALES[scale],
        admin_password=admin_password or secrets.token_urlsafe(12),
    )
    summary: dict[str, int] = {}
    for seeder in SEEDERS:
        summary |= seeder(ctx)
    return summary


def train_models() -> dict[str, str]:
    """Train every AI model on the data just loaded and store the scores (the nightly job
    keeps them fresh), so leads, deals and customers show theirs from the start; returns
    each kind's mode (MODEL, or RULES when the demo history is too short)."""
    from app.models.predictions import PredictionKind
    from app.services.predictions import registry

    modes = {}
    for kind in PredictionKind:
        modes[kind.value] = registry.train_and_score(kind).mode.value
        db.session.commit()
    return modes


def fit_forecasts() -> int:
    """Fit the sales forecasts of the data just loaded (the nightly job keeps them fresh),
    so the forecast report has something to show from the start; returns how many series."""
    from app.services import forecasts

    count = forecasts.refresh_all()
    db.session.commit()
    return count
