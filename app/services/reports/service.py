"""Service reports: ticket volume, backlog, resolution and first response times, SLA
attainment, CSAT by agent and category. Each counts the tickets its reader may read (their
team's queue for agents and managers), narrowed by team, assignee and channel; the
computations live in service_volume, service_times and service_quality."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.services.reports.registry import Report, register
from app.services.reports.service_quality import CSAT_GROUPS, SLA_GROUPS, csat, sla_attainment
from app.services.reports.service_tickets import FILTERS, channels
from app.services.reports.service_times import (
    FIRST_RESPONSE_GROUPS,
    RESOLUTION_GROUPS,
    first_response_time,
    resolution_time,
)
from app.services.reports.service_volume import BACKLOG_GROUPS, VOLUME_GROUPS, backlog, volume

TEAM_AND_AGENT = _l(
    "A team means the tickets in its queue or assigned to one of its members; an agent "
    "means the ticket's assignee."
)


def _service_report(key, title, definition, compute, groups, also_reads=()) -> Report:
    return register(
        Report(
            key=key,
            family="service",
            title=title,
            definition=definition,
            entity="ticket",
            compute=compute,
            filters=FILTERS,
            channels=channels,
            groups=groups,
            also_reads=also_reads,
        )
    )


_service_report(
    "ticket-volume",
    _l("Ticket volume"),
    _l(
        "Tickets created in each month of the period, split by channel, category or "
        "priority (as the ticket stands now); tickets resolved in each month (their last "
        "resolution: a ticket resolved, reopened and resolved again counts in the month of "
        "its final resolution, and one reopened and still open counts in none); and "
        "reopenings, each time a resolved or closed ticket went back to an open status, "
        "read from the ticket's history. %(scope)s",
        scope=TEAM_AND_AGENT,
    ),
    volume,
    VOLUME_GROUPS,
)
_service_report(
    "ticket-backlog",
    _l("Ticket backlog"),
    _l(
        "Open tickets: neither resolved nor closed (a ticket merged into another is "
        "closed). Month ends: for each month of the period, the tickets open at its end (at "
        "the period's end, or now, for a month not over), reconstructed as those created "
        "before that moment whose last resolution came after it or has not come, less "
        "those resolved then and reopened later (each reopening in the ticket's history "
        "keeps the resolution it undid; a ticket without history counts from its creation "
        "and last resolution alone). Now: the tickets open now by priority, and by age since "
        "they were created, whatever the period. %(scope)s",
        scope=TEAM_AND_AGENT,
    ),
    backlog,
    BACKLOG_GROUPS,
)
_service_report(
    "resolution-time",
    _l("Resolution time"),
    _l(
        "Tickets whose last resolution falls in the period: calendar hours (nights, "
        "weekends and time waiting on the customer included) from creation to that "
        "resolution, so a reopened ticket's clock runs on to its final resolution. Average "
        "and median (the middle value: half took less), per category, priority or agent "
        "(the assignee). Tickets reopened and still open are left out. %(scope)s",
        scope=TEAM_AND_AGENT,
    ),
    resolution_time,
    RESOLUTION_GROUPS,
)
_service_report(
    "first-response-time",
    _l("First response time"),
    _l(
        "Tickets created in the period: calendar hours from creation to the first public "
        "reply by a colleague (internal notes do not count). Average and median per agent "
        "(the colleague who wrote that reply; a ticket still waiting counts for its "
        "assignee), category or priority. Tickets still waiting for a first reply are "
        "counted apart, never as zero; tickets resolved without any public reply are left "
        "out and counted in a note. %(scope)s",
        scope=TEAM_AND_AGENT,
    ),
    first_response_time,
    FIRST_RESPONSE_GROUPS,
)
_service_report(
    "sla-attainment",
    _l("SLA attainment"),
    _l(
        "Tickets whose first-response or resolution target fell due in the period (until "
        "now): the due time of a missed target is the one it was missed at, of any other "
        "the ticket's due time, pushed back by the time it waited on the customer. A target "
        "is missed when the SLA recorded a breach, met when it was reached without one; a "
        "target that fell due without either (the ticket is paused, not yet checked, or "
        "was closed without a reply) is in neither share. Per priority and SLA policy of "
        "the target, or team queue. Tickets without a policy have no targets. %(scope)s",
        scope=TEAM_AND_AGENT,
    ),
    sla_attainment,
    SLA_GROUPS,
)
_service_report(
    "csat-by-agent",
    _l("Customer satisfaction"),
    _l(
        "CSAT surveys sent in the period (one after a ticket is resolved): surveys sent, "
        "answers, the average score from 1 to 5 and the share of satisfied answers (4 or "
        "5), per agent (the assignee when the ticket was resolved, who the survey rates) "
        "or category. NPS: every NPS survey sent in the period, promoters (9-10) minus "
        "detractors (0-6) in percent. Only readers of the survey results see them. A team "
        "means the tickets in its queue or rated agents of the team."
    ),
    csat,
    CSAT_GROUPS,
    also_reads=("survey",),
)
