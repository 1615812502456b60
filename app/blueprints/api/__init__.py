"""The JSON API under /api/v1: token-authenticated, same services and permissions as the UI.

A resource is a module here with `bp = ApiBlueprint("api_<resource>", __name__, tag=...)`
(see blueprint.py), added to register_api below. Imports stay inside the function:
app.extensions imports this package (for the Api class) before any app exists.
"""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    from app.blueprints.api import (
        activities,
        campaigns,
        contacts,
        customers,
        email_templates,
        jobs,
        kb,
        leads,
        opportunities,
        orders,
        products,
        quotes,
        reports,
        segments,
        teams,
        tickets,
        users,
        web_forms,
    )
    from app.extensions import api

    resources = (
        users, teams, customers, contacts, activities, leads, products, opportunities, quotes,
        orders, tickets, kb, jobs, campaigns, email_templates, segments, web_forms, reports,
    )  # fmt: skip
    for resource in resources:
        api.register_blueprint(resource.bp)
