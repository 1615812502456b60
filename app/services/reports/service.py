"""Service reports: ticket volumes, backlog, resolution and first response times, SLA
attainment, CSAT by agent and category."""
