"""The demo tickets of app.services.demo_service, planned one at a time in the order they
were opened: status, assignee, the SLA clock (business_time on the team's calendar, one
calendar object for all), the conversation, breaches and the CSAT survey.

A first response and a resolution come after a random share of their target, counted in
business minutes too, so they fall in working hours and about one in ten is late.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.models.service import (
    SlaTarget,
    SurveyKind,
    Ticket,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from app.services import business_time
from app.services import demo_service_data as words
from app.services.demo_customers import _next_id
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
RECENT_DAYS = 21  # the open backlog is from the last three weeks
RECENT_PERCENT = 10
NUMBER_WIDTH = 6  # as app.services.tickets numbers them
# Comments per ticket: mostly a few, and one ticket in fifty a long thread (about three on
# average in all).
COMMENT_MIX = (1, 1, 2, 2, 3, 3, 3, 4, 4, 5)
LONG_THREAD = (10, 20)
PRIORITIES = (TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.HIGH, TicketPriority.URGENT)
PRIORITY_WEIGHTS = (25, 45, 22, 8)
CHANNELS = tuple(TicketChannel)
CHANNEL_WEIGHTS = (40, 15, 12, 25, 8)  # EMAIL, PHONE, CHAT, WEB, SOCIAL
RECENT_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING, None)
RECENT_WEIGHTS = (25, 25, 15, 35)  # None: resolved or closed
RUNNING = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
CSAT_SCORES = (1, 2, 3, 4, 5)
CSAT_WEIGHTS = (6, 7, 12, 30, 45)


@dataclasses.dataclass
class Batch:
    tickets: list = dataclasses.field(default_factory=list)
    comments: list = dataclasses.field(default_factory=list)
    breaches: list = dataclasses.field(default_factory=list)
    surveys: list = dataclasses.field(default_factory=list)


class TicketPlanner:
    """Plans `ctx.size["tickets"]` tickets and exactly `ctx.size["ticket_comments"]`
    comments, yielded in batches of rows."""

    def __init__(self, ctx: SeedContext, settings, agents, customers, contacts, now):
        self.rng, self.now, self.settings = ctx.rng, now, settings
        self.agents = [(agent.id, agent.name) for agent in agents]
        self.customers, self.contacts = customers, contacts
        self.count = ctx.size.get("tickets", 0)
        self.comment_total = ctx.size.get("ticket_comments", self.count * 3)
        self.last_number = 0

    def _moments(self) -> list[datetime]:
        rng, now = self.rng, self.now
        recent = self.count * RECENT_PERCENT // 100
        spans = [YEARS * 365 * 86_400] * (self.count - recent) + [RECENT_DAYS * 86_400] * recent
        return sorted(now - timedelta(seconds=rng.randrange(span)) for span in spans)

    def _comment_counts(self) -> list[int]:
        """Comments per ticket, at least one each, adding up to the wanted total."""
        rng = self.rng
        counts = [
            rng.randint(*LONG_THREAD) if rng.random() < 0.02 else rng.choice(COMMENT_MIX)
            for _ in range(self.count)
        ]
        missing = self.comment_total - sum(counts)
        while missing and self.count:
            n = rng.randrange(self.count)
            if missing > 0:
                counts[n] += 1
                missing -= 1
            elif counts[n] > 1:
                counts[n] -= 1
                missing += 1
        return counts

    def batches(self, size: int) -> Iterator[Batch]:
        moments, counts = self._moments(), self._comment_counts()
        first_id = _next_id(Ticket)
        batch = Batch()
        for n, (created, comments) in enumerate(zip(moments, counts, strict=True)):
            self._ticket(batch, first_id + n, n + 1, created, comments)
            if len(batch.tickets) >= size:
                yield batch
                batch = Batch()
        self.last_number = self.count
        yield batch

    def _add(self, start: datetime, minutes: float) -> datetime:
        return business_time.add_business_minutes(
            start, max(1, int(minutes)), self.settings.calendar
        )

    def _before_now(self, moment: datetime, after: datetime) -> datetime:
        """`moment`, or a moment between `after` and now when it would be in the future.
        One draw either way, so the time of day of the seed never shifts the data after."""
        share = self.rng.uniform(0.2, 0.9)
        if moment <= self.now:
            return moment
        return (after + (self.now - after) * share).replace(microsecond=0)

    def _ticket(self, batch: Batch, ticket_id: int, number: int, created, comments: int):
        rng, now, settings = self.rng, self.now, self.settings
        if now - created > timedelta(days=RECENT_DAYS):
            status = None
        else:
            status = rng.choices(RECENT_STATUSES, RECENT_WEIGHTS)[0]
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        category = settings.category_ids and rng.randrange(len(settings.category_ids))
        contact_id = customer_id = None
        contact_name = customer_name = tier = ""
        if self.contacts and rng.random() < 0.97:
            contact_id, customer_id, contact_name = rng.choice(self.contacts)
            customer_name, tier = self.customers.get(customer_id, ("", ""))
        policy = settings.policies.get((priority.value, tier)) or settings.policies.get(
            (priority.value, "")
        )
        policy_id, first_minutes, resolution_minutes = policy or (None, 0, 0)
        first_due = self._add(created, first_minutes) if policy else None
        resolution_due = self._add(created, resolution_minutes) if policy else None
        assignee = rng.choice(self.agents) if self.agents else (None, "")
        if status is TicketStatus.OPEN and rng.random() < 0.6:
            assignee = (None, "")
        responded = None
        if status is not TicketStatus.OPEN or rng.random() < 0.3:
            late = rng.lognormvariate(-1.0, 0.8)  # about one in ten after the target
            responded = self._before_now(self._add(created, (first_minutes or 240) * late), created)
        resolved = closed = None
        if status is None:
            late = rng.lognormvariate(-0.9, 0.7)
            resolved = self._add(created, (resolution_minutes or 1620) * late)
            resolved = self._before_now(max(resolved, responded + timedelta(minutes=10)), responded)
            closing = resolved + timedelta(hours=rng.randint(48, 240))
            status = TicketStatus.CLOSED if closing <= now else TicketStatus.RESOLVED
            closed = closing if status is TicketStatus.CLOSED else None
        language = rng.random() < 0.5
        subject = rng.choice(words.SUBJECTS[category or 0][language])
        if language:
            description = rng.choice(words.DESCRIPTIONS_ZH).format(subject=subject)
        else:
            description = rng.choice(words.DESCRIPTIONS_EN).format(
                subject_lower=subject[0].lower() + subject[1:]
            )
        end = resolved or now
        thread = self._conversation(
            ticket_id, comments, created, responded, end, status, language, channel,
            assignee, (contact_id, contact_name),
        )  # fmt: skip
        batch.comments += thread
        agent_times = [
            c["created_at"] for c in thread if c["author_user_id"] and not c["is_internal"]
        ]
        customer_times = [c["created_at"] for c in thread if c["author_contact_id"]]
        from_customer = channel in (TicketChannel.EMAIL, TicketChannel.WEB) and contact_id
        if from_customer:
            customer_times.insert(0, created)
        paused = agent_times[-1] if status is TicketStatus.PENDING and agent_times else None
        code = f"T-{number:0{NUMBER_WIDTH}d}"
        batch.tickets.append({
            "id": ticket_id, "number": code, "subject": subject, "description": description,
            "customer_id": customer_id, "contact_id": contact_id, "priority": priority,
            "status": status, "channel": channel,
            "category_id": settings.category_ids[category] if settings.category_ids else None,
            "team_id": settings.team_id, "sla_policy_id": policy_id,
            "first_response_due_at": first_due, "resolution_due_at": resolution_due,
            "first_responded_at": responded, "sla_paused_at": paused, "sla_warned_at": None,
            "resolved_at": resolved, "closed_at": closed,
            "last_customer_reply_at": max(customer_times, default=None),
            "last_agent_reply_at": max(agent_times, default=None), "merged_into_id": None,
            "email_message_id": f"<{code.lower()}@mail.example.com>"
            if channel is TicketChannel.EMAIL else "",
            "owner_id": assignee[0],
            "created_by_id": None if from_customer else assignee[0] or self._anyone(),
            "updated_by_id": assignee[0], "created_at": created,
            "updated_at": max([created, *(c["created_at"] for c in thread), closed or created]),
            "custom": {},
            "search_text": normalise(code, subject, customer_name, description[:2000]),
        })  # fmt: skip
        self._breaches(batch, batch.tickets[-1], paused)
        if resolved is not None and contact_id is not None and rng.random() < 0.6:
            self._csat(batch, batch.tickets[-1])

    def _anyone(self):
        return self.agents[0][0] if self.agents else None

    def _conversation(self, ticket_id, count, created, responded, end, status, zh, channel,
                      assignee, contact) -> list[dict]:  # fmt: skip
        """`count` comments: the first public reply at `responded`, then the customer and
        agents taking turns, with internal notes between; a pending ticket waits on the
        customer, so its last public word is the agent's."""
        rng = self.rng
        agent_id, agent_name = assignee
        if agent_id is None and self.agents:
            agent_id, agent_name = rng.choice(self.agents)
        start = responded or created
        span = max(end - start, timedelta(minutes=1))
        times = sorted(
            start + span * rng.random() for _ in range(count - 1 if responded else count)
        )
        times = [moment.replace(microsecond=0) for moment in times]
        roles = []
        turn = "customer"
        for _ in times:
            if rng.random() < 0.15 or contact[0] is None or (not responded and turn == "agent"):
                roles.append("note")
                continue
            roles.append(turn)
            turn = "agent" if turn == "customer" else "customer"
        if responded:
            times.insert(0, responded)
            roles.insert(0, "agent")
            if status is TicketStatus.PENDING:
                last = max(n for n, role in enumerate(roles) if role != "note")
                roles[last] = "agent"
        rows = []
        for n, (moment, role) in enumerate(zip(times, roles, strict=True)):
            if role == "customer":
                replies = words.CUSTOMER_REPLIES_ZH if zh else words.CUSTOMER_REPLIES_EN
                author = {"author_user_id": None, "author_contact_id": contact[0],
                          "author_name": contact[1]}  # fmt: skip
                body = replies[n % len(replies)]
            else:
                author = {"author_user_id": agent_id, "author_contact_id": None,
                          "author_name": agent_name}  # fmt: skip
                replies = words.AGENT_REPLIES_ZH if zh else words.AGENT_REPLIES_EN
                body = rng.choice(words.NOTES) if role == "note" else replies[n % len(replies)]
            rows.append(author | {
                "ticket_id": ticket_id, "is_internal": role == "note", "body": body,
                "channel": channel if channel is TicketChannel.EMAIL and role != "note" else None,
                "email_message_id": "", "created_at": moment,
            })  # fmt: skip
        return rows

    def _breaches(self, batch: Batch, ticket: dict, paused) -> None:
        """A target met late, or an open ticket past it, as check_breaches records it."""
        running = ticket["status"] in RUNNING
        done = {
            SlaTarget.FIRST_RESPONSE: ticket["first_responded_at"],
            SlaTarget.RESOLUTION: ticket["resolved_at"] or paused,
        }
        for target, due in (
            (SlaTarget.FIRST_RESPONSE, ticket["first_response_due_at"]),
            (SlaTarget.RESOLUTION, ticket["resolution_due_at"]),
        ):
            if due is None:
                continue
            at = done[target]
            if (at is not None and at > due) or (at is None and running and due < self.now):
                batch.breaches.append({
                    "ticket_id": ticket["id"], "target": target,
                    "policy_id": ticket["sla_policy_id"], "due_at": due,
                    "breached_at": min(at or due, due + timedelta(minutes=5)),
                    "assignee_id": ticket["owner_id"], "team_id": ticket["team_id"],
                })  # fmt: skip

    def _csat(self, batch: Batch, ticket: dict) -> None:
        rng = self.rng
        sent = min(ticket["resolved_at"] + timedelta(minutes=5), self.now)
        answered = rng.random() < 0.4
        batch.surveys.append({
            "kind": SurveyKind.CSAT, "contact_id": ticket["contact_id"],
            "ticket_id": ticket["id"], "agent_id": ticket["owner_id"], "survey_name": "",
            "sent_at": sent,
            "answered_at": min(sent + timedelta(hours=rng.randint(1, 72)), self.now)
            if answered else None,
            "score": rng.choices(CSAT_SCORES, CSAT_WEIGHTS)[0] if answered else None,
            "comment": rng.choice(words.CSAT_COMMENTS) if answered else "",
        })  # fmt: skip
