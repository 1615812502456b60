"""The forecast refresh runs as a real RQ job: queued from the report page by a manager or
by the nightly schedule (no actor), it stores a run per series and grain, reports its
progress and links to the report, gives the same rows when run again, and refuses an
actor who lost the right to refresh."""

from __future__ import annotations

import sqlalchemy as sa

from app import queues
from app.extensions import db
from app.jobs import forecasts as forecast_jobs
from app.models.analytics import ForecastRun
from app.models.identity import Role
from app.services import forecasts, targets
from tests.conftest import htmx_post
from tests.factories import make_customer, make_order, make_product, make_team, make_user


def _runs():
    db.session.expire_all()
    return {
        (run.series_key, run.grain.value): (run.id, run.status, len(run.history))
        for run in db.session.scalars(sa.select(ForecastRun))
    }


def _shop():
    team = make_team("East")
    rep = make_user(Role.SALES, team=team)
    router = make_product(line="Hardware", list_price="100")
    last_month = forecasts.add_months(targets.today().replace(day=1), -1)
    make_order(rep, make_customer(rep), [{"product_id": router.id, "quantity": "2"}],
               order_date=last_month.isoformat())  # fmt: skip
    return team


def test_a_managers_refresh_runs_in_a_worker_and_stores_every_series(login, worker):
    team = _shop()
    manager = make_user(Role.MANAGER, team=team)
    client = login(manager)
    response = htmx_post(client, "/reports/forecasts/refresh", {})
    assert response.status_code == 200
    [job_id] = queues.queue("reports").job_ids
    worker()

    job = queues.fetch(job_id)
    assert job.is_finished and job.meta["progress"] == 100
    assert job.meta["message"] == "6 forecasts fitted."  # company, East, Hardware x 2 grains
    assert job.meta["result_url"] == "/reports/sales-forecast"
    runs = _runs()
    assert set(runs) == {
        (key, grain)
        for key in ("company", f"team:{team.id}", "line:Hardware")
        for grain in ("MONTH", "WEEK")
    }
    assert runs[("company", "MONTH")][1:] == ("short", 1)  # one month of history
    # The progress bar, polled by the page, shows the finished job with a link.
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Done" in page and 'id="job-result-link"' in page


def test_the_nightly_refresh_has_no_actor_and_running_it_twice_changes_nothing(worker):
    _shop()
    queues.queue("reports").enqueue(forecast_jobs.refresh_forecasts)
    worker()
    first = _runs()
    assert len(first) == 6
    queues.queue("reports").enqueue(forecast_jobs.refresh_forecasts)
    worker()
    assert _runs() == first


def test_an_actor_who_may_no_longer_refresh_is_refused(worker):
    _shop()
    demoted = make_user(Role.MANAGER)
    job = queues.enqueue(
        forecast_jobs.refresh_forecasts, actor=demoted, title="t", queue_name="reports"
    )
    demoted.role = Role.SALES
    db.session.commit()
    worker()
    assert queues.fetch(job.id).is_failed
    assert _runs() == {}
