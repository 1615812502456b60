"""A contact's or lead's behaviour figures (visits, email opens and clicks in the last 30
days, downloads and form submissions in the last 90, last engagement), loaded lazily into
the marketing panel of their page; the same figures lead scoring reads."""

from __future__ import annotations

from flask import render_template

from app.blueprints.marketing import bp
from app.blueprints.marketing.people import person_or_404
from app.models.base import utcnow
from app.models.marketing import SegmentEntity
from app.services import behaviour

ENTITIES = {"contact": SegmentEntity.CONTACT, "lead": SegmentEntity.LEAD}


@bp.get("/people/<entity>/<int:person_id>/behaviour")
def person_behaviour(entity: str, person_id: int):
    person = person_or_404(entity, person_id)
    figures = behaviour.inputs(ENTITIES[entity], [person.id], utcnow())[person.id]
    return render_template(
        "marketing/_behaviour.html", entity=entity, person=person, figures=figures
    )
