"""The satisfaction trend: CSAT and NPS by month of the surveys sent, one grouped query,
each month worked out by app.services.survey_results' own definitions (CsatFigures,
NpsFigures), so the figures read as the service reports' do."""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.service import SurveyKind, SurveyResponse
from app.services.reports import sql
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.survey_results import CsatFigures, NpsFigures


def _average(total, answered: int) -> Decimal | None:
    if not answered:
        return None
    return (Decimal(total or 0) / answered).quantize(Decimal("0.01"), ROUND_HALF_UP)


def satisfaction_trend(filters, actor) -> Result:
    first, after = filters.moments()
    months = filters.months()
    index = sql.bucket(SurveyResponse.sent_at, sql.month_bounds(months))
    score = SurveyResponse.score

    def counted(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            index,
            SurveyResponse.kind,
            sa.func.count(SurveyResponse.id),
            sa.func.count(SurveyResponse.answered_at),
            sa.func.coalesce(sa.func.sum(score), 0),
            counted(score >= 4),
            counted(score >= 9),
            counted(sa.and_(score >= 7, score <= 8)),
            counted(score <= 6),
        )
        .where(SurveyResponse.sent_at >= first, SurveyResponse.sent_at < after)
        .group_by(index, SurveyResponse.kind)
    )
    csat: dict[int, Counter] = {}
    nps: dict[int, Counter] = {}
    names = ("sent", "answered", "total", "satisfied", "promoters", "passives", "detractors")
    for month, kind, *counts in db.session.execute(query):
        if month is None:
            continue
        target = csat if SurveyKind(kind) is SurveyKind.CSAT else nps
        target.setdefault(month, Counter()).update(dict(zip(names, counts, strict=True)))
    rows = [_satisfaction_row(m, csat.get(i, Counter()), nps.get(i, Counter()))
            for i, m in enumerate(months)]  # fmt: skip
    whole = _satisfaction_row(
        None, sum(csat.values(), Counter()), sum(nps.values(), Counter())
    )  # fmt: skip
    return Result(
        columns=[
            Column("month", str(_l("Month")), "month"),
            Column("csat_answers", str(_l("CSAT answers")), "count"),
            Column("csat_average", str(_l("Average score (1-5)")), "number"),
            Column("satisfied", str(_l("Satisfied (4-5)")), "percent"),
            Column("nps_answers", str(_l("NPS answers")), "count"),
            Column("nps", str(_l("NPS")), "number"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Average CSAT score")), whole["csat_average"], "number"),
            Figure(str(_l("Satisfied")), whole["satisfied"], "percent"),
            Figure(
                str(_l("NPS")),
                whole["nps"],
                "number",
                hint=str(_l("promoters − detractors, in points")),
            ),
        ],  # fmt: skip
        chart=Chart("line", "month", ("satisfied", "nps")),
    )


def _satisfaction_row(month, csat: Counter, nps: Counter) -> dict:
    """A month's figures, worked out by survey_results' own definitions."""
    scores = CsatFigures(
        key=None,
        label="",
        sent=csat["sent"],
        answered=csat["answered"],
        average=_average(csat["total"], csat["answered"]),
        satisfied=csat["satisfied"],
    )
    promoters = NpsFigures("", nps["sent"], nps["answered"], nps["promoters"],
                           nps["passives"], nps["detractors"])  # fmt: skip
    return {
        "month": month,
        "csat_answers": scores.answered,
        "csat_average": scores.average,
        "satisfied": scores.satisfied_share,
        "nps_answers": promoters.answered,
        "nps": promoters.nps,
    }
