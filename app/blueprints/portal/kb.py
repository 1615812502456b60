"""The public knowledge base on the portal: search (active search, published public
articles only, the reader's language first), article pages that count their readings, and
"was this helpful" votes, one per portal user and article."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.blueprints.portal import bp
from app.blueprints.portal.session import current_portal_user, portal_login_required
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.service import KbArticle
from app.services import kb, portal_access
from app.services.record_lists import MAX_QUERY_LENGTH

RESULTS = 20


def _voter_key() -> str:
    return f"portal:{current_portal_user().id}"


def _article_or_404(article_id: int) -> KbArticle:
    article = portal_access.article(article_id)
    if article is None:
        abort(404)
    return article


@bp.get("/kb")
@portal_login_required
def kb_index():
    q = " ".join((request.args.get("q") or "").split())[:MAX_QUERY_LENGTH]
    articles = kb.search(q, None, public_only=True, limit=RESULTS)
    locale = current_portal_user().locale
    articles.sort(key=lambda article: article.language != locale)
    return render_page_or_fragment(
        "portal/kb.html", "portal/_kb_results.html", q=q, articles=articles
    )


@bp.get("/kb/<int:article_id>")
@portal_login_required
def kb_article(article_id: int):
    article = _article_or_404(article_id)
    kb.record_view(article)
    db.session.commit()
    return render_template(
        "portal/kb_article.html",
        article=article,
        paragraphs=kb.paragraphs(article.body),
        voted=kb.has_voted(article, _voter_key()),
    )


@bp.post("/kb/<int:article_id>/vote")
@portal_login_required
def kb_vote(article_id: int):
    article = _article_or_404(article_id)
    helpful = request.form.get("helpful") == "yes"
    counted = kb.vote(article, helpful, _voter_key())
    db.session.commit()
    if not request.headers.get("HX-Request"):
        return redirect(url_for("portal.kb_article", article_id=article.id))
    message = _("Thank you for your feedback.") if counted else _("You already answered.")
    return render_template("portal/_kb_vote.html", article=article, voted=True, message=message)
