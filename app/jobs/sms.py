"""Jobs of text messages sent one at a time (a ticket's reply notice): hand the queued
message to the provider after the transaction that wrote it committed. Safe to run twice:
the message is claimed before it is sent (app.services.sms.messages.deliver)."""

from __future__ import annotations

from app.jobs import background_job, finish
from app.services.sms import messages


@background_job
def send_sms_message(message_id: int, *, actor=None) -> bool:
    """Send the queued text message `message_id` (once)."""
    sent = messages.deliver(message_id)
    finish(message="sent" if sent else "not sent")
    return sent
