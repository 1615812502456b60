"""Where Rapport keeps personal data about people it deals with (contacts and leads), and
what erasing a person does to each column: the registry that app.services.erasure applies
and app.services.person_export reads.

A rule names a table, how its rows belong to the person (a link, resolved by
app.services.person_records) and a treatment per column. A column that holds no personal
data is listed in NOT_PERSONAL with the reason. tests/services/test_erasure.py checks that
every text and JSON column of every table is in one or the other, so a new column cannot
be forgotten: add it here when you add it to a model.
"""

from __future__ import annotations

import dataclasses

# Treatments (see app.services.erasure for what each does).
ERASE = "erase"  # non-empty text becomes "[erased]"
BLANK = "blank"  # ""
NULL = "null"  # NULL
PSEUDONYM = "pseudonym"  # "Erased person #<id>"
REDACT = "redact"  # the person's names, addresses and numbers inside the text -> "[erased]"
REBUILD_SEARCH = "rebuild_search"  # search_text made again from the erased values
HASH = "hash"  # "sha256:<hex>" of the normalised value: proof without the value
ROW_TOKEN = "row_token"  # "erased-<row id>": for columns that must stay unique
INVALID_EMAIL = "invalid_email"  # "erased-<row id>@erased.invalid" (unique, never sent to)
JSON_CLEAR = "json_clear"  # {} (custom field values, form payloads)
JSON_REDACT = "json_redact"  # every string inside redacted
KEEP_UTM = "keep_utm"  # only the campaign attribution keys kept (utm_*, channel, code)
URL_PATH = "url_path"  # query string and fragment dropped (they carry addresses, tokens)
DEACTIVATE = "deactivate"  # a boolean set false (a portal account)
DELETE_FILE = "delete_file"  # the stored file removed, the name erased
DELETE_ROW = "delete_row"  # rows keyed by the address itself (current state, not evidence)
DERIVED = "derived"  # computed by the database from another column of the rule
AUDIT = "audit"  # scrubbed by app.services.erasure_audit

# Treatments that remove a value outright (or derive it from removed ones); an audit
# entry's before/after of such a column becomes "[erased]" too. The others are redacted.
REMOVING = frozenset(
    {ERASE, BLANK, NULL, PSEUDONYM, HASH, ROW_TOKEN, INVALID_EMAIL, JSON_CLEAR, KEEP_UTM,
     URL_PATH, DELETE_FILE, DELETE_ROW, REBUILD_SEARCH, DERIVED}
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Rule:
    """Rows of `table` linked to the person by `link`, and what erasure does to `columns`."""

    table: str
    link: str
    columns: dict[str, str]
    # Included in the person's data export (False for copies such as webhook payloads).
    exported: bool = True


RULES: tuple[Rule, ...] = (
    Rule("contacts", "self_contact", {
        "first_name": BLANK, "last_name": PSEUDONYM, "email": BLANK, "email_key": DERIVED,
        "phone": BLANK, "mobile": BLANK, "title": BLANK, "department": BLANK,
        "custom": JSON_CLEAR, "search_text": REBUILD_SEARCH,
    }),
    Rule("leads", "self_lead", {
        "first_name": BLANK, "last_name": PSEUDONYM, "company": REDACT, "title": BLANK,
        "email": BLANK, "email_key": DERIVED, "phone": BLANK, "mobile": BLANK,
        "website": BLANK, "city": BLANK, "source_detail": REDACT, "description": ERASE,
        "custom": JSON_CLEAR, "score_factors": NULL, "search_text": REBUILD_SEARCH,
    }),
    # A customer that is the person (a private customer named like them) ...
    Rule("customers", "individual_customer", {
        "name": PSEUDONYM, "company": REDACT, "email": BLANK, "phone": BLANK,
        "website": BLANK, "description": ERASE, "custom": JSON_CLEAR,
        "search_text": REBUILD_SEARCH,
    }),
    Rule("customer_addresses", "individual_customer", {
        "line1": BLANK, "line2": BLANK, "city": BLANK, "postal_code": BLANK,
    }),
    Rule("credit_rating_changes", "individual_customer", {"note": REDACT}),
    # ... and the company they work for, where their address or number was copied.
    Rule("customers", "person_customer", {
        "name": REDACT, "company": REDACT, "email": REDACT, "phone": REDACT,
        "description": REDACT, "search_text": REBUILD_SEARCH,
    }, exported=False),
    Rule("activities", "person", {"subject": REDACT, "description": ERASE, "custom": JSON_CLEAR}),
    Rule("tickets", "contact", {
        "subject": REDACT, "description": ERASE, "email_message_id": BLANK,
        "custom": JSON_CLEAR, "search_text": REBUILD_SEARCH,
    }),
    Rule("ticket_comments", "author", {
        "body": ERASE, "author_name": ERASE, "email_message_id": BLANK,
    }),
    Rule("ticket_comments", "person_ticket", {"body": REDACT}),
    Rule("ticket_attachments", "uploader", {"filename": DELETE_FILE}),
    Rule("ticket_attachments", "person_ticket", {"filename": REDACT}),
    Rule("survey_responses", "contact", {"comment": ERASE}),
    Rule("portal_users", "contact", {
        "email": INVALID_EMAIL, "password_hash": NULL, "is_active": DEACTIVATE,
    }),
    Rule("campaign_recipients", "person", {"email": ROW_TOKEN, "error": BLANK}),
    Rule("marketing_events", "person", {"visitor_id": BLANK, "url": URL_PATH, "detail": KEEP_UTM}),
    # Consent evidence stays (GDPR art. 7(1): the controller must be able to show consent
    # was given, or withdrawn): the fact, channel, source and time are kept, the address
    # only as a hash that matches it again if the person ever disputes it.
    Rule("consent_records", "person_or_address", {"email": HASH, "ip": NULL, "detail": REDACT}),
    Rule("email_preferences", "address", {"email": DELETE_ROW, "bounce_reason": DELETE_ROW}),
    Rule("web_form_submissions", "person", {
        "data": JSON_CLEAR, "referrer": BLANK, "page_url": URL_PATH, "visitor_id": BLANK,
        "ip": NULL,
    }),
    Rule("web_visitors", "person", {"visitor_id": ROW_TOKEN, "first_touch": KEEP_UTM}),
    Rule("sequence_enrollments", "person", {"email": BLANK}),
    Rule("opportunities", "person", {
        "name": REDACT, "description": REDACT, "next_step": REDACT, "loss_reason": REDACT,
        "search_text": REDACT, "custom": JSON_REDACT,
    }),
    Rule("opportunity_documents", "person_opportunity", {"filename": REDACT}),
    Rule("quotes", "contact", {
        "title": REDACT, "introduction": REDACT, "terms": REDACT, "decided_by": ERASE,
        "decline_reason": REDACT, "search_text": REDACT, "pdf_file": DELETE_FILE,
        "custom": JSON_REDACT,
    }),
    Rule("orders", "contact", {"notes": REDACT, "search_text": REDACT, "custom": JSON_REDACT}),
    Rule("sms_messages", "person_or_number", {
        "to_number": REDACT, "from_number": REDACT, "body": ERASE, "error": REDACT,
    }),
    Rule("sms_preferences", "number", {"phone": DELETE_ROW}),
    # Copies that only a search for the person's identifiers finds.
    Rule("webhook_deliveries", "mentions", {
        "payload": JSON_REDACT, "response_excerpt": REDACT, "error": REDACT,
    }, exported=False),
    Rule("segments", "mentions", {"definition": JSON_REDACT}, exported=False),
    Rule("saved_views", "mentions", {"query": REDACT}, exported=False),
    Rule("audit_entries", "mentions", {
        "label": AUDIT, "actor_label": AUDIT, "ip": AUDIT, "changes": AUDIT,
    }, exported=False),
)  # fmt: skip

_STAFF = "a colleague's own account data, not a customer's (deactivate the user instead)"
_SETTING = "configuration written by colleagues"
_CONTENT = "marketing or knowledge-base content written by colleagues"
_CODE = "a fixed code, status or identifier generated by Rapport"
_TERRITORY = "a coarse territory or classification, kept for the regional and segment reports"
_SECRET = "a secret: never exported, never shown"

NOT_PERSONAL: dict[tuple[str, str], str] = {
    **{("users", c): _STAFF for c in ("email", "name", "locale", "time_zone")},
    ("users", "password_hash"): _SECRET,
    ("api_tokens", "name"): _STAFF,
    ("api_tokens", "prefix"): _STAFF,
    ("api_tokens", "token_hash"): _SECRET,
    ("teams", "name"): _SETTING,
    ("teams", "description"): _SETTING,
    **{("role_grants", c): _SETTING for c in ("entity", "action", "scope")},
    **{("audit_entries", c): _CODE for c in ("source", "entity_type", "entity_id")},
    ("tags", "name"): _SETTING,
    ("tags", "color"): _SETTING,
    ("taggings", "entity_type"): _CODE,
    **{("custom_fields", c): _SETTING
       for c in ("entity_type", "key", "label", "label_zh", "choices")},
    **{("data_imports", c): "an import's file name, column headers and outcome; the upload "
       "itself is deleted when the import ends and its report is purged with old exports"
       for c in ("entity_type", "filename", "stored_file", "mapping", "options", "report_file",
                 "error", "job_id")},
    **{("customers", c): _TERRITORY for c in ("industry", "source", "abc_class", "churn_level",
                                              "credit_rating")},
    ("customers", "churn_factors"): "model factors (order trends, ticket counts), no identifiers",
    ("customer_addresses", "region"): _TERRITORY,
    ("customer_addresses", "country"): _TERRITORY,
    ("credit_rating_changes", "previous"): _CODE,
    ("credit_rating_changes", "rating"): _CODE,
    ("saved_views", "entity"): _CODE,
    ("saved_views", "name"): _STAFF,
    **{("leads", c): _TERRITORY for c in ("industry", "country", "region", "score_grade")},
    **{("leads", c): "campaign attribution (UTM), kept for the channel reports"
       for c in ("utm_source", "utm_medium", "utm_campaign")},
    **{("lead_assignment_rules", c): _SETTING for c in ("name", "industry", "country", "region")},
    ("round_robin_cursors", "team_id"): _CODE,
    **{("products", c): _SETTING for c in ("sku", "name", "description", "unit", "line")},
    **{("price_books", c): _SETTING for c in ("name", "currency", "description")},
    ("pipelines", "name"): _SETTING,
    **{("opportunities", c): _CODE for c in ("currency",)},
    ("opportunities", "competitors"): "names of competing companies",
    ("opportunities", "win_factors"): "model factors (stage, amount, age), no identifiers",
    ("opportunity_members", "role"): _STAFF,
    ("opportunity_documents", "stored_name"): _CODE,
    ("opportunity_documents", "content_type"): _CODE,
    ("number_sequences", "name"): _CODE,
    ("quotes", "number"): _CODE,
    ("quotes", "currency"): _CODE,
    **{(t, c): "a line of the product catalogue on a sales document"
       for t in ("quote_lines", "order_lines") for c in ("name", "description", "unit")},
    ("orders", "number"): _CODE,
    ("orders", "currency"): _CODE,
    ("sales_targets", "currency"): _CODE,
    **{("business_calendars", c): _SETTING for c in ("name", "time_zone", "hours")},
    ("calendar_holidays", "name"): _SETTING,
    **{("sla_policies", c): _SETTING for c in ("name", "customer_tier")},
    **{("ticket_categories", c): _SETTING for c in ("name", "description")},
    ("tickets", "number"): _CODE,
    ("ticket_attachments", "stored_name"): _CODE,
    ("ticket_attachments", "content_type"): _CODE,
    ("kb_categories", "name"): _CONTENT,
    **{("kb_articles", c): _CONTENT
       for c in ("title", "body", "language", "search_text", "custom")},
    ("survey_responses", "survey_name"): _SETTING,
    ("portal_users", "locale"): "a language choice",
    **{("segments", c): _SETTING for c in ("name", "description", "custom")},
    **{("email_templates", c): _CONTENT for c in (
        "name", "sender_name", "subject", "html_body", "text_body", "sender_name_zh",
        "subject_zh", "html_body_zh", "text_body_zh", "custom")},
    **{("campaigns", c): _CONTENT for c in ("name", "currency", "channels", "description",
                                            "sms_body", "custom")},
    ("campaign_recipients", "skip_reason"): _CODE,
    ("campaign_recipients", "claimed_by"): "the worker that sent it",
    ("campaign_recipients", "message_id"): "<campaign-N.recipient-M@domain>, no identifiers",
    ("consent_records", "source"): _CODE,
    **{("email_preferences", c): "what the address wanted; the row is deleted with the address"
       for c in ("consent_source", "topics_opted_out", "locale")},
    **{("web_forms", c): _CONTENT for c in (
        "name", "slug", "fields", "consent_text", "consent_text_zh", "success_message",
        "success_message_zh", "redirect_url", "custom")},
    **{("web_form_variants", c): _CONTENT for c in (
        "name", "headline", "headline_zh", "intro", "intro_zh", "button_label",
        "button_label_zh")},
    **{("web_form_submissions", c): "campaign attribution (UTM), kept for the A/B and channel "
       "reports" for c in ("utm_source", "utm_medium", "utm_campaign", "utm_term",
                           "utm_content")},
    **{("sequences", c): _SETTING for c in ("name", "description", "custom")},
    ("sequence_steps", "settings"): _SETTING,
    ("sequence_enrollments", "exit_reason"): _CODE,
    **{("campaign_links", c): _CONTENT for c in (
        "code", "channel", "label", "target_url", "utm_source", "utm_medium", "utm_campaign",
        "utm_content")},
    ("sales_costs", "currency"): _CODE,
    ("sales_costs", "note"): _SETTING,
    **{("forecast_runs", c): "aggregated forecasts of sales series" for c in (
        "series_key", "label", "currency", "status", "message", "model", "history",
        "forecast", "backtest", "drivers")},
    ("report_schedules", "report_key"): _SETTING,
    ("report_schedules", "filters"): _SETTING,
    ("report_schedules", "last_error"): _CODE,
    **{("saved_reports", c): _SETTING for c in ("name", "description", "entity", "definition",
                                                "custom")},
    ("dashboard_layouts", "panels"): _SETTING,
    **{("prediction_models", c): "a trained model's metrics and coefficients (aggregates)"
       for c in ("algorithm", "metrics", "params", "notice")},
    **{("lead_score_rules", c): _SETTING for c in ("factor", "operator", "value")},
    **{("sms_messages", c): _CODE for c in ("provider", "provider_id", "error_code")},
    **{("sms_preferences", c): "the number's SMS state; the row is deleted with the number"
       for c in ("consent_source", "opt_out_keyword", "opt_out_source")},
    **{("webhook_subscriptions", c): _SETTING for c in ("name", "url", "events")},
    ("webhook_subscriptions", "secret"): _SECRET,
    ("webhook_deliveries", "event"): _CODE,
    ("webhook_deliveries", "event_id"): _CODE,
    **{("job_outbox", c): "a queued job's function and arguments: ids, never personal text "
       "(jobs take ids)" for c in ("queue", "function", "args", "kwargs", "options",
                                   "last_error")},
}  # fmt: skip


def rules_for(table: str) -> list[Rule]:
    """The rules of one table, in the order they apply."""
    return [rule for rule in RULES if rule.table == table]


def registered_columns() -> set[tuple[str, str]]:
    """Every (table, column) the registry treats."""
    return {(rule.table, column) for rule in RULES for column in rule.columns}
