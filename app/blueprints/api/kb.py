"""Knowledge-base articles over the API: list (searched, filtered), show, create and change
(publishing with `status`). Every rule lives in app.services.kb."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import record_invalid_response
from app.extensions import db
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle
from app.services import kb
from app.services.validation import RecordInvalid

bp = ApiBlueprint("api_kb", __name__, tag="Knowledge base", description="Knowledge-base articles.")
bp.register_error_handler(RecordInvalid, record_invalid_response)

_LANGUAGES = ma.validate.OneOf(tuple(kb.LANGUAGES))


class ArticleWriteSchema(ma.Schema):
    title = ma.fields.String(required=True)
    body = ma.fields.String(metadata={"description": "Plain text; blank lines part paragraphs."})
    category_id = ma.fields.Integer(allow_none=True)
    language = ma.fields.String(validate=_LANGUAGES, metadata={"description": "en or zh_Hant."})
    visibility = ma.fields.Enum(
        ArticleVisibility, by_value=True, metadata={"description": "PUBLIC: the portal too."}
    )
    is_faq = ma.fields.Boolean()
    status = ma.fields.Enum(
        ArticleStatus, by_value=True, metadata={"description": "PUBLISHED publishes it."}
    )


class ArticleUpdateSchema(ArticleWriteSchema):
    """PATCH: only the fields sent change."""

    title = ma.fields.String()


class ArticleSchema(ArticleWriteSchema):
    id = ma.fields.Integer()
    published_at = ma.fields.DateTime(allow_none=True)
    view_count = ma.fields.Integer()
    helpful_yes = ma.fields.Integer()
    helpful_no = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ArticleListArgs(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Words of the title or text (any part of them)."},
    )
    category_id = ma.fields.Integer()
    language = ma.fields.String(validate=_LANGUAGES)
    status = ma.fields.Enum(
        ArticleStatus, by_value=True, metadata={"description": "DRAFT: the ones you may edit."}
    )


def _readable(article_id: int) -> KbArticle:
    article = db.session.get(KbArticle, article_id)
    if article is None or not kb.may_read(acting_user(), article):
        abort(404, message=gettext("No such record."))
    return article


def _save(article: KbArticle, data: dict) -> KbArticle:
    status = data.pop("status", None)
    if data:
        kb.update_article(article, acting_user(), **data)
    if status is ArticleStatus.PUBLISHED:
        kb.publish(article, acting_user())
    elif status is ArticleStatus.DRAFT:
        kb.unpublish(article, acting_user())
    return article


@bp.get("/kb/articles")
@paginated(bp, ArticleListArgs, ArticleSchema)
def index(args):
    """Published articles and the drafts you may edit, searched and filtered, in id order."""
    permissions.require(acting_user(), "read", "kb_article")
    query = kb.articles_query(
        acting_user(), args.get("q"), language=args.get("language"),
        category_id=args.get("category_id"), status=args.get("status"), include_drafts=True,
    )  # fmt: skip
    return paginate(query, KbArticle.id, args)


@bp.get("/kb/articles/<int:article_id>")
@bp.response(200, ArticleSchema)
def show(article_id: int):
    """One article."""
    return _readable(article_id)


@bp.post("/kb/articles")
@bp.arguments(ArticleWriteSchema)
@bp.response(201, ArticleSchema)
def create(data):
    """Write an article (a draft unless `status` is PUBLISHED)."""
    status = data.pop("status", None)
    article = kb.create_article(acting_user(), **data)
    _save(article, {"status": status} if status else {})
    db.session.commit()
    return article


@bp.patch("/kb/articles/<int:article_id>")
@bp.arguments(ArticleUpdateSchema)
@bp.response(200, ArticleSchema)
def update(changes, article_id: int):
    """Change an article; `status` publishes it or takes it back to draft."""
    article = _readable(article_id)
    permissions.require(acting_user(), "edit", "kb_article", article)
    _save(article, changes)
    db.session.commit()
    return article
