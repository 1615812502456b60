"""The knowledge base for colleagues: the searchable list (drafts too for their editors),
the article page (each visit counted, "was this helpful" answered in place), the editor with
publishing, and the articles suggested on a ticket's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.service import bp
from app.blueprints.service.kb_forms import ArticleForm, VoteForm
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.service import KbArticle, KbCategory, Ticket
from app.services import kb, kb_search
from app.services.predictions import kb_retrieval


def _labels() -> dict:
    return {
        "languages": kb.LANGUAGES,
        "status_labels": kb.STATUS_LABELS,
        "visibility_labels": kb.VISIBILITY_LABELS,
    }


def _article_or_404(article_id: int, action: str = "read") -> KbArticle:
    """The article if the user may read it (a draft: edit it); else 404, as if it did not
    exist. `action` "edit"/"delete" then needs that right too (403)."""
    article = db.session.get(KbArticle, article_id)
    if article is None or not kb.may_read(current_user, article):
        abort(404)
    if action != "read":
        permissions.require(current_user, action, "kb_article", article)
    return article


def voter_key() -> str:
    return f"user:{current_user.id}"


@bp.get("/kb")
def kb_index():
    permissions.require(current_user, "read", "kb_article")
    filters = kb_search.ArticleFilters.from_args(request.args)
    cursor = request.args.get("cursor")
    rows, next_cursor = filters.page(current_user, cursor)
    args = filters.as_args()
    categories = kb.categories()
    context = {
        "filters": filters,
        "rows": rows,
        "categories": categories,
        "category_names": {category.id: category.name for category in categories},
        "pager": {
            "first_url": url_for("service.kb_index", **args) if cursor else None,
            "next_url": url_for("service.kb_index", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
        **_labels(),
    }
    return render_page_or_fragment("service/kb_index.html", "service/_kb_rows.html", **context)


@bp.get("/kb/<int:article_id>")
def kb_show(article_id: int):
    article = _article_or_404(article_id)
    kb.record_view(article)
    html = render_template(
        "service/kb_show.html",
        article=article,
        category=db.session.get(KbCategory, article.category_id) if article.category_id else None,
        paragraphs=kb.paragraphs(article.body),
        voted=kb.has_voted(article, voter_key()),
        may_edit=permissions.can(current_user, "edit", "kb_article", article),
        may_delete=permissions.can(current_user, "delete", "kb_article", article),
        action_form=FlaskForm(),
        **_labels(),
    )
    db.session.commit()
    return html


@bp.post("/kb/<int:article_id>/vote")
def kb_vote(article_id: int):
    """Answer "was this helpful?": counted once per colleague."""
    article = _article_or_404(article_id)
    form = VoteForm()
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no"):
        abort(400)
    counted = kb.vote(article, form.helpful.data == "yes", voter_key())
    db.session.commit()
    if not wants_fragment():
        if counted:
            flash(_("Thank you for your answer."), "success")
        return redirect(url_for("service.kb_show", article_id=article.id))
    return render_template("service/_kb_votes.html", article=article, voted=True, thanked=counted)


def _form(article: KbArticle | None) -> ArticleForm:
    form = ArticleForm(obj=article if request.method == "GET" else None)
    form.set_category_choices()
    if article is not None and request.method == "GET":
        form.category_id.data = str(article.category_id or "")
        form.visibility.data = article.visibility.value
    return form


@bp.route("/kb/new", methods=["GET", "POST"])
def kb_new():
    permissions.require(current_user, "create", "kb_article")
    form = _form(None)
    article = save_valid_form(form, lambda: kb.create_article(current_user, **form.values()))
    if article is not None:
        flash(_("The draft %(title)s is saved.", title=article.title), "success")
        return redirect(url_for("service.kb_show", article_id=article.id))
    return render_template("service/kb_form.html", form=form, article=None)


@bp.route("/kb/<int:article_id>/edit", methods=["GET", "POST"])
def kb_edit(article_id: int):
    article = _article_or_404(article_id, "edit")
    form = _form(article)
    saved = save_valid_form(form, lambda: kb.update_article(article, current_user, **form.values()))
    if saved is not None:
        flash(_("The article %(title)s is saved.", title=saved.title), "success")
        return redirect(url_for("service.kb_show", article_id=saved.id))
    return render_template("service/kb_form.html", form=form, article=article)


def _change(article_id: int, action: str, change, message: str):
    article = _article_or_404(article_id, action)
    if not FlaskForm().validate_on_submit():
        abort(400)
    change(article, current_user)
    db.session.commit()
    flash(message, "success")
    return article


@bp.post("/kb/<int:article_id>/publish")
def kb_publish(article_id: int):
    _change(article_id, "edit", kb.publish, _("The article is published."))
    return redirect(url_for("service.kb_show", article_id=article_id))


@bp.post("/kb/<int:article_id>/unpublish")
def kb_unpublish(article_id: int):
    _change(article_id, "edit", kb.unpublish, _("The article is a draft again."))
    return redirect(url_for("service.kb_show", article_id=article_id))


@bp.route("/kb/<int:article_id>/delete", methods=["GET", "POST"])
def kb_delete(article_id: int):
    article = _article_or_404(article_id, "delete")
    if request.method == "GET":
        return render_template("service/kb_delete.html", article=article)
    _change(article_id, "delete", kb.delete_article, _("The article is deleted."))
    return redirect(url_for("service.kb_index"))


@bp.get("/kb/suggestions")
def kb_suggestions():
    """The articles that may answer a ticket (its page loads them after the rest)."""
    ticket_id = request.args.get("ticket_id", type=int)
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None or not permissions.can(current_user, "read", "ticket", ticket):
        abort(404)
    may_read = permissions.can(current_user, "read", "kb_article")
    articles = kb_retrieval.suggest_for_ticket(ticket, current_user, limit=5) if may_read else []
    return render_template(
        "service/_kb_suggestions.html", ticket=ticket, articles=articles, **_labels()
    )


from app.blueprints.service import kb_categories  # noqa: E402,F401
