"""Who hands a text message to the phone network. Every provider has one method,
`send(to, body, sender, status_callback="") -> the provider's message id`, and raises
SmsError when the message was not accepted.

- TwilioProvider speaks Twilio's REST API (or any API compatible with it: the base URL is
  a setting): a form-encoded POST to /2010-04-01/Accounts/{sid}/Messages.json with HTTP
  basic auth (account SID, auth token). Retried at once only when nothing can have been
  sent: a 5xx answer, or no connection at all. A timeout while waiting for the answer is
  reported as `ambiguous` (the message may exist), never retried.
- DevelopmentProvider sends nothing: it records each message in Redis (the last
  DEV_OUTBOX_SIZE, shown on Admin > SMS), and is the default (RAPPORT_SMS_PROVIDER=dev)."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Protocol

import requests
from flask import current_app

from app import queues
from app.models.base import utcnow

DEV_OUTBOX_KEY = "rapport:sms:dev-outbox"
DEV_OUTBOX_SIZE = 500
RETRIES = 2  # after the first try, on a 5xx answer or a failed connection
RETRY_PAUSE = 0.5  # seconds, doubled each time
# Twilio's codes that mean "this number will not get the message": not worth retrying.
UNSUBSCRIBED_CODES = frozenset({"21610"})

# Swapped in tests, so retries are checked without waiting.
sleep = time.sleep


@dataclasses.dataclass(eq=False)
class SmsError(Exception):
    """The provider did not take the message. `code` and `message` are the provider's own
    (Twilio's 21211 "invalid 'To' number", say); `retryable` when trying later may work
    (a 5xx, a refused connection, 429); `ambiguous` when it may have been sent after all;
    `configuration` when the provider refuses us (credentials, account), not the number."""

    message: str
    code: str = ""
    status: int | None = None
    retryable: bool = False
    ambiguous: bool = False
    configuration: bool = False

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "", self.code, self.message]
        return " ".join(part for part in parts if part)[:500]


class SmsProvider(Protocol):
    name: str

    def send(self, to: str, body: str, sender: str, status_callback: str = "") -> str: ...


class TwilioProvider:
    """Twilio's Messages resource (2010-04-01), or a compatible API at `api_url`."""

    name = "twilio"

    def __init__(self, api_url: str, account_sid: str, auth_token: str, timeout: float = 10):
        if not account_sid or not auth_token:
            raise SmsError(
                "Set RAPPORT_SMS_ACCOUNT_SID and RAPPORT_SMS_AUTH_TOKEN to send with Twilio.",
                configuration=True,
            )
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.timeout = (min(timeout, 5.0), timeout)  # (connect, read)

    def send(self, to: str, body: str, sender: str, status_callback: str = "") -> str:
        data = {"To": to, "Body": body}
        if sender.startswith("MG"):
            data["MessagingServiceSid"] = sender
        elif sender:
            data["From"] = sender
        if status_callback:
            data["StatusCallback"] = status_callback
        pause = RETRY_PAUSE
        for attempt in range(RETRIES + 1):
            try:
                return self._post(data)
            except SmsError as error:
                if not error.retryable or error.status == 429 or attempt == RETRIES:
                    raise
            sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, data: dict) -> str:
        try:
            response = requests.post(
                self.url, data=data, auth=self.auth, timeout=self.timeout, allow_redirects=False
            )
        except requests.ConnectTimeout as error:
            raise SmsError(f"No connection to the SMS provider: {error}", retryable=True) from None
        except requests.ConnectionError as error:
            # Refused or unresolvable: nothing was sent. Dropped mid-answer: it may have been.
            refused = "NewConnectionError" in repr(error) or "NameResolution" in repr(error)
            raise SmsError(
                f"The SMS provider could not be reached: {error}",
                retryable=refused,
                ambiguous=not refused,
            ) from None
        except requests.Timeout:
            raise SmsError(
                "The SMS provider did not answer in time; the message may have been sent.",
                ambiguous=True,
            ) from None
        return _read_answer(response)


def _read_answer(response: requests.Response) -> str:
    """The new message's SID from a 2xx answer, else SmsError from Twilio's error body."""
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    status = response.status_code
    if 200 <= status < 300:
        sid = str(payload.get("sid") or "")
        if payload.get("status") == "failed" or payload.get("error_code"):
            raise SmsError(
                str(payload.get("error_message") or "The provider refused the message."),
                code=str(payload.get("error_code") or ""),
                status=status,
            )
        if not sid:
            raise SmsError("The SMS provider's answer has no message id.", ambiguous=True)
        return sid
    code = str(payload.get("code") or "")
    message = str(payload.get("message") or response.reason or "error")
    raise SmsError(
        message,
        code=code,
        status=status,
        retryable=status >= 500 or status == 429,
        configuration=status in (401, 403, 404),
    )


class DevelopmentProvider:
    """Sends nothing: records each message (newest first) for Admin > SMS and tests."""

    name = "dev"

    def send(self, to: str, body: str, sender: str, status_callback: str = "") -> str:
        message_id = f"DEV{uuid.uuid4().hex[:29]}"
        entry = {"id": message_id, "to": to, "from": sender, "body": body}
        entry["at"] = utcnow().isoformat()
        redis = queues.connection()
        pipe = redis.pipeline()
        pipe.lpush(DEV_OUTBOX_KEY, json.dumps(entry))
        pipe.ltrim(DEV_OUTBOX_KEY, 0, DEV_OUTBOX_SIZE - 1)
        pipe.execute()
        return message_id

    @staticmethod
    def recorded(start: int = 0, count: int = 50) -> list[dict]:
        """Recorded messages, newest first."""
        rows = queues.connection().lrange(DEV_OUTBOX_KEY, start, start + count - 1)
        return [json.loads(row) for row in rows]

    @staticmethod
    def recorded_count() -> int:
        return int(queues.connection().llen(DEV_OUTBOX_KEY))


def provider_name() -> str:
    name = current_app.config.get("RAPPORT_SMS_PROVIDER") or "dev"
    if name not in ("dev", "twilio"):
        raise RuntimeError(f"RAPPORT_SMS_PROVIDER must be dev or twilio, not {name!r}")
    return name


def provider() -> SmsProvider:
    """The provider the settings choose (RAPPORT_SMS_PROVIDER, dev by default)."""
    config = current_app.config
    if provider_name() == "twilio":
        return TwilioProvider(
            config["RAPPORT_SMS_API_URL"],
            config.get("RAPPORT_SMS_ACCOUNT_SID", ""),
            config.get("RAPPORT_SMS_AUTH_TOKEN", ""),
            float(config.get("RAPPORT_SMS_TIMEOUT") or 10),
        )
    return DevelopmentProvider()


def sender() -> str:
    """Who messages come from (RAPPORT_SMS_FROM; the dev provider needs none)."""
    return str(current_app.config.get("RAPPORT_SMS_FROM") or "").strip()


def status_callback_url() -> str:
    """Where the provider reports delivery (POST /sms/status on BASE_URL)."""
    return current_app.config["BASE_URL"].rstrip("/") + "/sms/status"
