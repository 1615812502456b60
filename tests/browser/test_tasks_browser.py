"""A rep, in a real browser, logs a call from a customer's timeline panel and sees it on
the timeline without a page reload, then completes a task on My tasks."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.identity import Role
from tests.factories import PASSWORD, make_activity, make_customer, make_user

pytestmark = pytest.mark.browser

PANEL = (
    '{% from "_macros/timeline.html" import customer_timeline_panel %}'
    "{{ customer_timeline_panel(customer) }}"
)


def _panel_html(app, user, customer) -> str:
    """The macro as the customer page will render it (that page belongs to another module)."""
    with app.test_request_context():
        login_user(user)
        return render_template_string(PANEL, customer=customer)


def test_rep_logs_a_call_from_the_timeline_and_completes_a_task(app, page):
    rep = make_user(Role.SALES, email="rita@example.com", name="Rita")
    acme = make_customer(rep, name="Acme 貿易")
    task = make_activity(rep, subject="Send the brochure", due_at=utcnow() - timedelta(hours=2))
    visit_due = utcnow() - timedelta(hours=1)
    visit = make_activity(rep, subject="Plan the visit", due_at=visit_due)
    page.goto("/login")
    page.fill("#email", "rita@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    # A page holding the panel: the macro's markup put into a real page of the app.
    page.goto("/tasks")
    page.evaluate(
        "html => { const main = document.querySelector('main'); main.innerHTML = html;"
        " htmx.process(main); window.notReloaded = true; }",
        _panel_html(app, rep, acme),
    )
    timeline = page.locator(f"#timeline-{acme.id}")
    timeline.locator("text=Nothing on the timeline yet.").wait_for()

    page.click(f"#timeline-call-{acme.id}")
    page.wait_for_selector("#activity-form >> text=Log a call")
    page.fill("#subject", "Intro call with the buyer")
    page.fill("#description", "Wants a quote by Friday")
    page.click("#save-activity")
    page.wait_for_selector("text=“Intro call with the buyer” is saved.")
    timeline.locator("text=Intro call with the buyer").wait_for()
    assert "Wants a quote by Friday" in timeline.inner_text()
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path="/tmp/rapport-timeline.png", full_page=True)
    call = db.session.scalar(sa.select(Activity).where(Activity.kind == ActivityKind.CALL))
    assert call.customer_id == acme.id and call.owner_id == rep.id

    page.click("#nav-tasks")
    row = page.locator(f"#task-{task.id}")
    assert "Send the brochure" in page.locator("#tasks-overdue").inner_text()
    page.evaluate("window.notReloaded = true")
    page.click(f"#complete-{task.id}")
    row.wait_for(state="detached")
    assert page.evaluate("window.notReloaded") is True
    assert "Send the brochure" not in page.locator("#task-groups").inner_text()

    page.locator(f"#task-{visit.id} button", has_text="Snooze 1 week").click()
    page.locator("#tasks-upcoming", has_text="Plan the visit").wait_for()
    assert "Plan the visit" not in page.locator("#tasks-overdue").inner_text()
    page.screenshot(path="/tmp/rapport-my-tasks.png", full_page=True)
    db.session.expire_all()
    assert db.session.get(Activity, task.id).status is ActivityStatus.DONE
    assert db.session.get(Activity, visit.id).due_at > utcnow() + timedelta(days=6)
