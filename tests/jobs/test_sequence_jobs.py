"""The sequence tick as the scheduler runs it: registered every minute, run by a real
worker, it enrols segment newcomers, advances due people and gets their email delivered;
running it again changes nothing."""

import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.cron import register_periodic_jobs
from app.jobs.sequences import advance_sequences
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, EnrollmentStatus, SequenceEnrollment
from app.services import sequences
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_preference, make_segment, make_sequence, make_template


def test_the_tick_is_registered_every_minute():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    name = "app.jobs.sequences.advance_sequences"
    [job] = [j for j in scheduler.get_jobs() if j.func_name == name]
    assert job.cron == "* * * * *"


def test_the_tick_enrols_advances_and_sends_through_a_real_worker(worker, smtp):
    marketer = make_user(Role.MARKETING)
    template = make_template(marketer)
    tw = {"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": "email", "op": "contains", "value": ".tw"}]}]}  # fmt: skip
    segment = make_segment(marketer, entity="LEAD", definition=tw)
    joined = make_sequence(marketer, status="ACTIVE", trigger="SEGMENT_JOIN",
                           segment_id=segment.id, steps=[("ADD_TAG", {"tag": "tw"})])  # fmt: skip
    welcome = make_sequence(marketer, status="ACTIVE",
                            steps=[("SEND_EMAIL", {"template_id": template.id})])  # fmt: skip
    make_preference("mei@example.com")
    mei = make_lead(marketer, email="mei@example.com")
    sequences.enrol(welcome, mei)
    newcomer = make_lead(marketer, email="lin@example.com.tw")
    db.session.commit()

    job = queues.enqueue(advance_sequences, actor=None, title="Sequences")
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result()
    assert job.return_value()["joined"] == 1 and job.return_value()["emails"] == 1
    db.session.expire_all()
    rows = db.session.scalars(sa.select(SequenceEnrollment).order_by(SequenceEnrollment.id)).all()
    assert {(r.sequence_id, r.lead_id, r.status) for r in rows} == {
        (welcome.id, mei.id, EnrollmentStatus.COMPLETED),
        (joined.id, newcomer.id, EnrollmentStatus.COMPLETED),
    }
    assert [m["To"].addresses[0].addr_spec for m in smtp] == ["mei@example.com"]

    again = queues.enqueue(advance_sequences, actor=None, title="Sequences")
    worker()
    again.refresh()
    assert again.return_value()["joined"] == 0 and again.return_value()["advanced"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignRecipient)) == 1
    assert len(smtp) == 1
