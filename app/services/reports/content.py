"""Content performance: landing pages and web forms (by A/B variant), knowledge-base
articles and downloads, one table each (the report's grouping chooses which).

Variant views and submissions, and article views and votes, are running counters: they
are not dated, so they cover the whole life of the form or article whatever the period.
Form submissions and downloads are dated and counted in the period."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.marketing import EventKind, FormSubmission, FormVariant, MarketingEvent, WebForm
from app.models.service import ArticleStatus, KbArticle
from app.services import ab_testing
from app.services.reports import sql
from app.services.reports.results import Chart, Column, Figure, Result

LIMIT = 100  # rows of articles or files shown, the most viewed or downloaded first
VERDICTS = {
    ab_testing.Verdict.BASELINE: _l("Control (compared against)"),
    ab_testing.Verdict.NOT_ENOUGH_DATA: _l("Not enough data"),
    ab_testing.Verdict.NOT_SIGNIFICANT: _l("Not significant"),
    ab_testing.Verdict.SIGNIFICANT: _l("Significant (95 percent confidence)"),
}


def _rate(rate: float | None) -> Decimal | None:
    return None if rate is None else sql.one_decimal(Decimal(str(rate)) * 100)


def _forms(filters, actor) -> Result:
    visible = permissions.visible(actor, "web_form", WebForm.owner_id)
    variants = db.session.execute(
        sa.select(
            WebForm.id, WebForm.name, FormVariant.id, FormVariant.name, FormVariant.views,
            FormVariant.submissions,
        )
        .join(FormVariant, FormVariant.form_id == WebForm.id)
        .where(visible)
        .order_by(WebForm.name, WebForm.id, FormVariant.id)
    ).all()  # fmt: skip
    first, after = filters.moments()
    in_period = dict(
        db.session.execute(
            sa.select(FormSubmission.variant_id, sa.func.count())
            .join(WebForm, WebForm.id == FormSubmission.form_id)
            .where(visible, FormSubmission.created_at >= first, FormSubmission.created_at < after)
            .group_by(FormSubmission.variant_id)
        ).all()
    )
    forms: dict[int, list] = {}
    for form_id, form_name, variant_id, name, views, submissions in variants:
        forms.setdefault(form_id, []).append((form_name, variant_id, name, views, submissions))
    rows = []
    for members in forms.values():
        compared = ab_testing.compare(
            [(name, views, sent) for _f, _i, name, views, sent in members]
        )
        for (form_name, variant_id, _name, _views, _sent), result in zip(
            members, compared, strict=True
        ):
            rows.append(
                {
                    "form": form_name,
                    "variant": result.name,
                    "views": result.views,
                    "submissions": result.submissions,
                    "rate": _rate(result.rate),
                    "verdict": str(VERDICTS[result.verdict]) if len(members) > 1 else "",
                    "period": in_period.get(variant_id, 0),
                }
            )
    views = sum(row["views"] for row in rows)
    submissions = sum(row["submissions"] for row in rows)
    notes = []
    if in_period.get(None):
        notes.append(
            ngettext(
                "%(num)d submission of the period came from an embedded form, which shows no "
                "variant: it is in no row.",
                "%(num)d submissions of the period came from embedded forms, which show no "
                "variant: they are in no row.",
                in_period[None],
            )
        )
    return Result(
        columns=[
            Column("form", str(_l("Form"))),
            Column("variant", str(_l("Variant"))),
            Column("views", str(_l("Views")), "count"),
            Column("submissions", str(_l("Submissions")), "count"),
            Column("rate", str(_l("Conversion rate")), "percent"),
            Column("verdict", str(_l("A/B test"))),
            Column("period", str(_l("Submissions in the period")), "count"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Views")), views),
            Figure(str(_l("Submissions")), submissions),
            Figure(
                str(_l("Conversion rate")),
                _rate(ab_testing.conversion_rate(views, submissions)),
                "percent",
            ),
            Figure(str(_l("Submissions in the period")), sum(in_period.values())),
        ],  # fmt: skip
        chart=Chart("hbar", "variant" if len(forms) == 1 else "form", ("rate",)),
        notes=notes,
    )


def _articles(filters, actor) -> Result:
    helpful = KbArticle.helpful_yes + KbArticle.helpful_no
    query = (
        sa.select(
            KbArticle.title, KbArticle.view_count, KbArticle.helpful_yes, KbArticle.helpful_no
        )
        .where(
            KbArticle.status == ArticleStatus.PUBLISHED,
            permissions.visible(actor, "kb_article", KbArticle.owner_id),
        )
        .order_by(KbArticle.view_count.desc(), helpful.desc(), KbArticle.id)
        .limit(LIMIT + 1)
    )
    found = db.session.execute(query).all()
    rows = [
        {
            "article": title,
            "views": views,
            "helpful": yes,
            "unhelpful": no,
            "share": sql.percent(yes, yes + no),
        }
        for title, views, yes, no in found[:LIMIT]
    ]
    notes = [gettext("Views and votes are counted since each article was published.")]
    if len(found) > LIMIT:
        notes.append(gettext("The %(num)d most viewed articles are shown.", num=LIMIT))
    return Result(
        columns=[
            Column("article", str(_l("Article"))),
            Column("views", str(_l("Views")), "count"),
            Column("helpful", str(_l("Helpful")), "count"),
            Column("unhelpful", str(_l("Not helpful")), "count"),
            Column("share", str(_l("Found it helpful")), "percent"),
        ],
        rows=rows,
        chart=Chart("hbar", "article", ("views",)),
        notes=notes,
    )


def _downloads(filters, actor) -> Result:
    first, after = filters.moments()
    count = sa.func.count()
    query = (
        sa.select(
            MarketingEvent.url,
            count,
            sa.func.count(sa.distinct(MarketingEvent.contact_id)),
            sa.func.count(sa.distinct(MarketingEvent.lead_id)),
        )
        .where(
            MarketingEvent.kind == EventKind.DOWNLOAD,
            MarketingEvent.occurred_at >= first,
            MarketingEvent.occurred_at < after,
        )
        .group_by(MarketingEvent.url)
        .order_by(count.desc(), MarketingEvent.url)
        .limit(LIMIT + 1)
    )
    found = db.session.execute(query).all()
    rows = [
        {"file": url or gettext("(no address)"), "downloads": downloads, "contacts": contacts,
         "leads": leads}
        for url, downloads, contacts, leads in found[:LIMIT]
    ]  # fmt: skip
    notes = []
    if len(found) > LIMIT:
        notes.append(gettext("The %(num)d most downloaded files are shown.", num=LIMIT))
    return Result(
        columns=[
            Column("file", str(_l("File"))),
            Column("downloads", str(_l("Downloads")), "count"),
            Column("contacts", str(_l("Contacts who downloaded")), "count"),
            Column("leads", str(_l("Leads who downloaded")), "count"),
        ],
        rows=rows,
        figures=[Figure(str(_l("Downloads")), sum(row["downloads"] for row in rows))],
        chart=Chart("hbar", "file", ("downloads",)),
        notes=notes,
    )


def content_performance(filters, actor) -> Result:
    if filters.group == "articles":
        return _articles(filters, actor)
    if filters.group == "downloads":
        return _downloads(filters, actor)
    return _forms(filters, actor)
