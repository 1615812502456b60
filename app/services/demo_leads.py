"""Demo leads for `flask rapport seed`: English and Chinese names at real and made-up
companies, from every source, in every status, over the last three years; plus two
assignment rules (web leads from Taiwan round-robin to the first sales team, event leads
to the second team's manager).

Like the customers, bulk rows go in with SQLAlchemy Core executemany in chunks and are not
audited one by one (see app.services.demo_customers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from app.models.sales import AssignmentRule, Lead, LeadSource, LeadStatus
from app.services.demo_customer_data import (
    COMPANIES,
    GEN_EN,
    GEN_ZH,
    GIVEN_ZH,
    JOBS_EN,
    JOBS_ZH,
    PERSON_EN,
    PERSON_ZH,
    PLACES,
    SURNAME_EN,
)
from app.services.demo_customers import _insert, _next_id, _sellers, _sync_sequences
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
# Most leads arrive through the web form and imports; the weights say how much more.
SOURCE_WEIGHTS = {
    LeadSource.WEB_FORM: 30,
    LeadSource.IMPORT: 20,
    LeadSource.MANUAL: 15,
    LeadSource.REFERRAL: 10,
    LeadSource.EVENT: 10,
    LeadSource.CAMPAIGN: 8,
    LeadSource.API: 5,
    LeadSource.OTHER: 2,
}
SOURCE_DETAILS = {
    LeadSource.WEB_FORM: ["/contact", "/pricing", "/demo", "/zh-tw/聯絡我們"],
    LeadSource.EVENT: ["Computex 2025", "台北國際電子展", "SEMICON Taiwan", "Web Summit"],
    LeadSource.CAMPAIGN: ["Spring newsletter", "年終促銷", "Webinar: ERP basics"],
    LeadSource.REFERRAL: ["Partner referral", "客戶推薦"],
}
EMPLOYEES = [5, 12, 30, 80, 150, 400, 1200, 5000]
RULES = [
    ("Web leads from Taiwan → Sales North", "台灣網站名單", LeadSource.WEB_FORM, "TW"),
    ("Event leads → Sales South manager", "展覽名單", LeadSource.EVENT, ""),
]


def _status(rng, age_days: int) -> LeadStatus:
    """New leads are mostly untouched; a lead a year old has long been worked."""
    if age_days < 14:
        return rng.choice(
            [LeadStatus.NEW] * 6 + [LeadStatus.CONTACTED] * 3 + [LeadStatus.QUALIFIED]
        )
    weights = [3, 4, 3, 2, 1] if age_days < 90 else [1, 2, 2, 4, 3]
    return rng.choices(list(LeadStatus), weights=weights)[0]


def _person(rng, country: str) -> tuple[str, str, str, str]:
    """(first, last, title, e-mail local part) in the language of the country."""
    if country in ("TW", "JP") and rng.random() < 0.8:
        (last, last_latin), (first, first_latin) = rng.choice(PERSON_ZH), rng.choice(GIVEN_ZH)
        return first, last, rng.choice(JOBS_ZH)[0], f"{first_latin}.{last_latin}"
    first, last = rng.choice(PERSON_EN), rng.choice(SURNAME_EN)
    local = f"{first.lower()}.{normalise(last).replace(' ', '')}"
    return first, last, rng.choice(JOBS_EN)[0], local


def _company(rng) -> tuple[str, str, str, str]:
    """(company, industry, web domain, place key): a real one or a made-up one."""
    if rng.random() < 0.5:
        name, _, industry, domain, place = rng.choice(COMPANIES)
        return name, industry, domain, place
    industry = rng.choice(COMPANIES)[2]
    if rng.random() < 0.6:
        prefixes, cores = GEN_ZH
        name = rng.choice(prefixes) + rng.choice(cores)
        return (
            f"{name}股份有限公司",
            industry,
            f"l{rng.randrange(10**6)}.example",
            rng.choice(list(PLACES)[:7]),
        )
    prefixes, cores = GEN_EN
    name = f"{rng.choice(prefixes)} {rng.choice(cores)}"
    return f"{name} Ltd", industry, f"l{rng.randrange(10**6)}.example", rng.choice(list(PLACES)[7:])


def _leads(ctx: SeedContext, first_id: int, sellers: list, converted_to: list, now: datetime):
    rng = ctx.rng
    sources, weights = list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values())
    for n in range(ctx.size["leads"]):
        company, industry, domain, place = _company(rng)
        city, region, _, country, dial, _ = PLACES[place]
        first, last, title, local = _person(rng, country)
        age = rng.randrange(YEARS * 365)
        created = now - timedelta(days=age, seconds=rng.randrange(86_400))
        status = _status(rng, age)
        source = rng.choices(sources, weights=weights)[0]
        owner = rng.choice(sellers)
        email = f"{local}{first_id + n}@{domain.split('.')[0]}.example.com"
        phone = f"{dial} {rng.randrange(2000, 9999)} {rng.randrange(1000, 9999)}"
        mobile = (
            f"+886 9{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
            if country == "TW" and rng.random() < 0.6
            else ""
        )
        customer_id = contact_id = converted_at = None
        if status is LeadStatus.CONVERTED and converted_to:
            contact_id, customer_id = rng.choice(converted_to)
            converted_at = created + timedelta(days=rng.randrange(3, 60))
            converted_at = min(converted_at, now)
        unassigned = status is LeadStatus.NEW and rng.random() < 0.1
        revenue = Decimal(rng.randrange(1, 500) * 100_000) if rng.random() < 0.4 else None
        yield {
            "id": first_id + n,
            "first_name": first,
            "last_name": last,
            "company": company,
            "title": title,
            "email": email,
            "phone": phone,
            "mobile": mobile,
            "website": f"https://www.{domain}",
            "industry": industry,
            "employees": rng.choice(EMPLOYEES) if rng.random() < 0.6 else None,
            "annual_revenue": revenue,
            "country": country,
            "region": region,
            "city": city,
            "source": source,
            "source_detail": rng.choice(SOURCE_DETAILS.get(source, [""])),
            "status": status,
            "description": "",
            "team_id": None if unassigned else owner.team_id,
            "converted_at": converted_at,
            "customer_id": customer_id,
            "contact_id": contact_id,
            "owner_id": None if unassigned else owner.id,
            "created_by_id": owner.id,
            "updated_by_id": owner.id,
            "custom": {},
            "created_at": created,
            "updated_at": converted_at or created,
            "search_text": normalise(first, last, company, email, phone, mobile),
        }


def _rules(sellers: list, now: datetime) -> list[dict]:
    """The two demo rules: round-robin in the first sales team, one manager of the second."""
    teams = sorted({seller.team_id for seller in sellers if seller.team_id is not None})
    if not teams:
        return []
    managers = [s for s in sellers if s.role is Role.MANAGER and s.team_id == teams[-1]]
    rows = []
    for position, (name, zh, source, country) in enumerate(RULES):
        target = {"team_id": teams[0], "user_id": None}
        if position == 1:
            target = {"team_id": None, "user_id": (managers or sellers)[0].id}
        rows.append(
            {
                "name": f"{name} {zh}"[:120],
                "position": position,
                "is_active": True,
                "source": source,
                "industry": "",
                "country": country,
                "region": "",
                "created_at": now,
                "updated_at": now,
                **target,
            }
        )
    return rows


def seed_leads(ctx: SeedContext) -> dict:
    """Leads spread over three years (the converted ones linked to a customer's primary
    contact) and two assignment rules."""
    sellers = _sellers(ctx) or ctx.staff
    now = datetime.now(UTC).replace(microsecond=0)
    converted_to = list(
        db.session.execute(
            sa.select(Contact.id, Contact.customer_id)
            .where(Contact.is_primary.is_(True), Contact.customer_id.is_not(None))
            .order_by(Contact.id)
        ).tuples()
    )
    leads = _insert(Lead.__table__, _leads(ctx, _next_id(Lead), sellers, converted_to, now))
    rules = _insert(AssignmentRule.__table__, _rules(sellers, now))
    _sync_sequences(Lead)
    return {"leads": leads, "assignment_rules": rules}
