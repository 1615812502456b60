"""The pages `make bench` measures; each module adds its own.

A page's path is a string, or a function of the app (inside its context) returning one,
for pages whose URL depends on the seeded data (a customer's id, a deep cursor).
"""

from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa


class Page(NamedTuple):
    name: str
    path: str | Callable[[], str]
    login: bool = True
    # Who signs in: the administrator (sees everything), a seeded sales rep ("rep") whose
    # lists are permission-filtered and who has tasks of their own, or a seeded support
    # agent ("agent") with tickets of their own.
    user: str = "admin"
    # A POST (sent as htmx sends it) when given: the form data, read afresh before each
    # request (outside the timed part) since a post changes what the next one must send.
    form: Callable[[], dict] | None = None


DEEP_PAGES = 10  # how far "a deep page" of a list is: the cursor after this many pages


def _admin():
    from app.extensions import db
    from app.models.identity import Role, User

    return db.session.scalars(sa.select(User).where(User.role == Role.ADMIN).limit(1)).one()


def _deep_customer_page() -> str:
    """The customer list DEEP_PAGES pages in, with the cursor the list's `next` link has."""
    from app.services.customers import CustomerFilters, customer_page

    admin, cursor = _admin(), None
    for _ in range(DEEP_PAGES):
        _, after = customer_page(admin, CustomerFilters(), cursor)
        if after is None:  # a small list ends sooner: its last page is the deepest
            break
        cursor = after
    return f"/customers?cursor={cursor}" if cursor else "/customers"


def _busiest_customer() -> str:
    """The 360 view of the customer with the most activities (the worst case)."""
    from app.extensions import db
    from app.models.activities import Activity

    customer_id = db.session.scalar(
        sa.select(Activity.customer_id)
        .where(Activity.customer_id.is_not(None))
        .group_by(Activity.customer_id)
        .order_by(sa.func.count().desc(), Activity.customer_id)
        .limit(1)
    )
    return f"/customers/{customer_id}"


def _board_path() -> str:
    from app.services.opportunities import default_pipeline

    return f"/pipeline/{default_pipeline().id}/move"


def _stage_move() -> dict:
    """Move the first open deal between Proposal and Negotiation, with its current version."""
    from app.extensions import db
    from app.models.sales import Opportunity, OpportunityStage

    stages = (OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION)
    deal = db.session.scalars(
        sa.select(Opportunity).where(Opportunity.stage.in_(stages)).order_by(Opportunity.id)
    ).first()
    target = stages[1] if deal.stage is stages[0] else stages[0]
    return {"opportunity_id": deal.id, "stage": target.value, "version": deal.version}


def _largest_quote() -> str:
    """The page of the quote with the most lines (the worst case)."""
    from app.extensions import db
    from app.models.orders import QuoteLine

    quote_id = db.session.scalar(
        sa.select(QuoteLine.quote_id)
        .group_by(QuoteLine.quote_id)
        .order_by(sa.func.count().desc(), QuoteLine.quote_id)
        .limit(1)
    )
    return f"/quotes/{quote_id}"


def _busiest_ticket() -> str:
    """The page of the ticket with the most comments (the worst case)."""
    from app.extensions import db
    from app.models.service import TicketComment

    ticket_id = db.session.scalar(
        sa.select(TicketComment.ticket_id)
        .group_by(TicketComment.ticket_id)
        .order_by(sa.func.count().desc(), TicketComment.ticket_id)
        .limit(1)
    )
    return f"/tickets/{ticket_id}"


def _first(model, *where) -> int:
    from app.extensions import db

    return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id).limit(1))


def _open_lead() -> str:
    from app.models.sales import Lead, LeadStatus

    return f"/leads/{_first(Lead, Lead.status != LeadStatus.CONVERTED)}"


def _open_deal(panel: str) -> Callable[[], str]:
    def path() -> str:
        from app.models.sales import Opportunity

        return f"/opportunities/{_first(Opportunity, Opportunity.closed_at.is_(None))}/{panel}"

    return path


def _ordering_customer(panel: str) -> Callable[[], str]:
    def path() -> str:
        from app.models.customers import Customer

        return f"/customers/{_first(Customer, Customer.churn_risk.is_not(None))}/{panel}"

    return path


def _similar_tickets() -> str:
    from app.models.service import Ticket

    return f"/tickets/{_first(Ticket)}/similar"


PAGES = [
    Page("login", "/login", login=False),
    Page("home", "/"),
    Page("admin users list", "/admin/users"),
    Page("admin audit log", "/admin/audit"),
    Page("customers first page", "/customers"),
    Page("customers deep page", _deep_customer_page),
    # Three characters or more use the trigram index; two fall back to a scan of
    # search_text (see app.services.search), so both are measured.
    Page("customers search zh", "/customers?q=%E7%A9%8D%E9%AB%94%E9%9B%BB"),  # 積體電
    Page("customers search 2ch", "/customers?q=%E7%B2%BE%E5%AF%86"),  # 精密
    Page("customers by status", "/customers?status=CUSTOMER"),
    Page("customers as a rep", "/customers", user="rep"),
    Page("customer 360 view", _busiest_customer),
    Page("contacts first page", "/contacts"),
    Page("my tasks", "/tasks", user="rep"),
    # The default pipeline's board: six columns of up to 50 cards and their totals.
    Page("pipeline board", "/pipeline"),
    Page("pipeline board as a rep", "/pipeline", user="rep"),
    Page("opportunities first page", "/opportunities"),
    # A card dragged to the next column: the move, the card and both columns' totals.
    Page("stage move", _board_path, form=_stage_move),
    Page("quotes first page", "/quotes"),
    Page("quote page", _largest_quote),
    Page("orders first page", "/orders"),
    Page("sales dashboard", "/dashboard"),
    Page("dashboard pipeline panel", "/dashboard/panels/pipeline"),
    Page("dashboard won vs target panel", "/dashboard/panels/won_vs_target"),
    Page("dashboard top deals panel", "/dashboard/panels/top_deals"),
    Page("dashboard as a rep", "/dashboard/panels/won_vs_target", user="rep"),
    # Knowledge-base search (p95 under 30 ms): an English word, and two Chinese characters
    # (the bigram index on PostgreSQL, a scan of search_text on SQLite).
    Page("kb search", "/kb?q=password"),
    Page("kb search 2ch", "/kb?q=%E5%AF%86%E7%A2%BC"),  # 密碼
    Page("kb search as a rep", "/kb?q=invoice", user="rep"),
    # The service desk (queues and the ticket page p95 under 50 ms): an agent's own
    # queue, the team's unassigned and soon-breaching tickets, everything as the admin.
    Page("tickets queue mine", "/tickets?view=mine", user="agent"),
    Page("tickets queue unassigned", "/tickets?view=unassigned", user="agent"),
    Page("tickets queue breaching", "/tickets?view=breaching", user="agent"),
    Page("tickets queue all", "/tickets?view=all"),
    Page("ticket page", _busiest_ticket),
    # The AI features read stored scores and models: each page or panel well under 50 ms.
    Page("lead page with its score", _open_lead),
    Page("leads by score", "/leads?sort=score&direction=desc"),
    Page("leads of grade A", "/leads?grade=A"),
    Page("deal win probability panel", _open_deal("win-probability")),
    Page("deal next best action panel", _open_deal("next-action")),
    Page("customer churn panel", _ordering_customer("churn-risk")),
    Page("customer recommendations panel", _ordering_customer("recommendations")),
    Page("customers at risk", "/customers/at-risk"),
    Page("customers at risk as a rep", "/customers/at-risk", user="rep"),
    Page("similar tickets panel", _similar_tickets),
    Page("AI models page", "/admin/models"),
]
