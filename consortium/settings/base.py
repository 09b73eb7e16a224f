"""Settings shared by every environment. Everything that differs comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", True)

# Member sites live on <slug>.<BASE_DOMAIN>; the consortium site on BASE_DOMAIN itself.
BASE_DOMAIN = env("COMMONS_BASE_DOMAIN", "localhost")
# The consortium site's address as people outside a request see it (links in e-mails).
SITE_URL = env("COMMONS_SITE_URL", f"http://{BASE_DOMAIN}:8000").rstrip("/")
CONSORTIUM_NAME = env("COMMONS_CONSORTIUM_NAME", "North Yorkshire Voluntary Sector Consortium")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", f"{BASE_DOMAIN},.{BASE_DOMAIN}")

if not env("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Run through `make` (it starts the embedded PostgreSQL "
        "and sets it) or point it at a server, e.g. postgres://user@127.0.0.1:5432/commons."
    )
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Typo tolerance of search: how close a word must be to count (pg_trgm's default is 0.6).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c pg_trgm.word_similarity_threshold=0.4 -c pg_trgm.similarity_threshold=0.3"
)
DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The tenant boundary, declared once. Public schema: what belongs to the consortium.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    # The queue's tables, once, in the public schema; each job names the member it is for.
    "procrastinate.contrib.django",
    "sharing",
    "events",
    "reporting",
    "rights",  # people's rights across members (issue 14): requests, tasks, retention
    "demo",  # no models: the demo consortium's provisioning and `setup_demo`
    # Accounts (one set for the whole consortium, in the public schema): sign-in, second
    # factors, each person's sessions, and single sign-on with a member's own provider.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
# One copy per member schema: what belongs to a member. Guardian's tables sit with the data
# they guard because object ids repeat across schemas.
TENANT_APPS = [
    "guardian",
    "crm",
    "surveys",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Member"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "consortium.urls_public"
ROOT_URLCONF = "consortium.urls_tenant"
TEMPLATE_SCHEMA_NAME = "member_template"
# Set search_path once per schema switch, not before every query.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    # Outermost, so every response carries them, refusals included (Issue 13: browser protections).
    "tenants.csp.CommonsCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "tenants.middleware.RefuseNulMiddleware",
    "tenants.middleware.MemberTenantMiddleware",
    "tenants.sso.SignOnCspMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.session_middleware.SessionActivityMiddleware",
    "tenants.middleware.MembershipMiddleware",
    # Last: someone who must have a second factor and has none sets one up first (issue 13).
    "tenants.mfa.SecondFactorMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "consortium.wsgi.application"

AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "tenants.backends.MemberObjectPermissionBackend",
]
# guardian.W001 looks for its own backend class by name; ours subclasses it (tenants.backends).
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
GUARDIAN_RAISE_403 = False
# Guardian's anonymous user would be created from a tenant migration into the shared user
# table; nothing here grants permissions to anonymous visitors.
ANONYMOUS_USER_NAME = None

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
# A hand-over link from one site to another is good for this long, once.
HANDOFF_MAX_AGE_SECONDS = 60

LANGUAGE_CODE = "en-gb"
# Forms render dates as ISO for the browser's date boxes (see consortium/formats/en_GB).
FORMAT_MODULE_PATH = ["consortium.formats"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded imports; never served over the web.
MEDIA_ROOT = Path(env("COMMONS_MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
# Largest file an import accepts.
IMPORT_MAX_BYTES = int(env("COMMONS_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
# Imports of files larger than this run in the background, on the queue's workers.
IMPORT_INLINE_BYTES = int(env("COMMONS_IMPORT_INLINE_BYTES", str(256 * 1024)))
# An import left unchecked or unconfirmed this long is abandoned: its file is removed.
IMPORT_ABANDONED_HOURS = int(env("COMMONS_IMPORT_ABANDONED_HOURS", "24"))
# Import progress is written on its own connection, so it shows while the import's
# transaction is still open.
IMPORT_PROGRESS_DATABASE = "progress"
# A retention run anonymises or deletes this many records a transaction (each batch commits
# whole, with the run's counts, so a killed run leaves every record untouched or done).
RETENTION_BATCH = int(env("COMMONS_RETENTION_BATCH", "200"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Cache keys carry the schema name, so nothing cached for one member reaches another; rate
# limits and lockouts alone are kept once for the whole consortium (tenants/cache.py).
# The cache is shared by every worker and server, so rate limits and lockouts hold across
# them: Redis when REDIS_URL is set, otherwise a table in the database (`commons_cache`, made
# by setup_consortium and by the tests' database set-up).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "commons_cache",
        # Room for an attack's worth of counters: culling would forget lockouts.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
        "KEY_FUNCTION": "tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "tenants.cache.reverse_key",
    }
}
if env("REDIS_URL"):
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    CACHES["default"]["LOCATION"] = env("REDIS_URL")
    CACHES["default"]["OPTIONS"] = {}

# Whether data-sharing agreements also need a consortium admin's approval to become active:
# the default for purposes whose consortium rule says "as the consortium's default".
COMMONS_SHARING_ADMIN_APPROVAL = env_bool("COMMONS_SHARING_ADMIN_APPROVAL", False)

# The key of people's identifier hashes (sharing.person_keys): an HMAC-SHA256 key, so the
# public table of hashes names no one to whoever reads it without the key. Production must
# set it (consortium/settings/production.py refuses to start without it); development and
# the tests fall back to this fixed development key, which is no secret at all. Changing the
# key makes every stored hash useless: run `manage.py person_keys_backfill` after it.
DEVELOPMENT_PERSON_KEY = "commons-development-person-key-not-a-secret-never-use-in-production"
COMMONS_PERSON_KEY = env("COMMONS_PERSON_KEY") or DEVELOPMENT_PERSON_KEY

# Background work: procrastinate, with PostgreSQL as the queue (tenants/queue.py). Workers run
# `manage.py procrastinate worker`; tenants.queue registers every task and schedule.
PROCRASTINATE_ON_APP_READY = "tenants.queue.queue_ready"
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = ""
# A worker reports that it is alive this often; one silent for QUEUE_STALLED_SECONDS is taken
# for dead, and its running jobs go back in the queue at the next stalled-job check (a cron
# line with seconds as a sixth field).
QUEUE_HEARTBEAT_SECONDS = float(env("COMMONS_QUEUE_HEARTBEAT_SECONDS", "10"))
QUEUE_STALLED_SECONDS = float(env("COMMONS_QUEUE_STALLED_SECONDS", "60"))
QUEUE_STALLED_CHECK_CRON = env("COMMONS_QUEUE_STALLED_CHECK_CRON") or "* * * * * */30"
# Jobs that succeeded are forgotten after this long.
QUEUE_KEEP_HOURS = int(env("COMMONS_QUEUE_KEEP_HOURS", "72"))
PROCRASTINATE_WORKER_DEFAULTS = {
    # Two at a time, so a long import does not hold up the stalled-job check behind it.
    "concurrency": 2,
    "update_heartbeat_interval": QUEUE_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": QUEUE_STALLED_SECONDS,
}

# A member's exit (rights.exit_services): where its complete export is built (outside
# MEDIA_ROOT: it is only ever downloaded through its page, by the member's managers), how long
# its schema is kept after it leaves, and when the job that drops schemas past their grace
# period runs.
EXIT_EXPORT_ROOT = Path(env("COMMONS_EXIT_EXPORT_ROOT", str(BASE_DIR / ".data" / "exits")))
EXIT_GRACE_DAYS = int(env("COMMONS_EXIT_GRACE_DAYS", "30"))
EXIT_DROP_CRON = env("COMMONS_EXIT_DROP_CRON") or "41 3 * * *"
# Largest exit ZIP a new member's first import accepts.
EXIT_IMPORT_MAX_BYTES = int(env("COMMONS_EXIT_IMPORT_MAX_BYTES", str(2 * 1024 * 1024 * 1024)))

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"Commons <no-reply@{BASE_DOMAIN}>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Records token use, and refuses an address after too many wrong tokens (issue 13).
        "tenants.api_auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_permissions.IsMemberHere"],
    # JSON nested too deep or holding NUL is a 400, not a crash; forms as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "tenants.api_parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commons API",
    "DESCRIPTION": (
        "The consortium CRM's API. Every path answers within the member site it is called on."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["tenants.api_permissions.IsMemberHere"],
    "ENUM_NAME_OVERRIDES": {"RecordTypeEnum": "sharing.models.RecordType"},
    # Swagger UI from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every command would announce the queue's task registry; the worker's unit asks for
        # INFO, to log each job's start and outcome.
        "procrastinate": {"level": env("COMMONS_QUEUE_LOG_LEVEL", "WARNING")},
    },
}

# django-allauth: accounts are made by invitation, never by signing up (tenants.accounts).
ACCOUNT_ADAPTER = "tenants.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
ACCOUNT_FORMS = {"login": "tenants.forms.SignInForm"}
# A sign-in lasts as long as the browser (and the idle limit); there is no "remember me".
ACCOUNT_SESSION_REMEMBER = False

# Issue 13: the client's real address. Behind the documented nginx, one trusted proxy appends
# the client's address to X-Forwarded-For; tenants.clientip.client_address and allauth's rate
# limits both read it through allauth's adapter. 0 (no proxy) counts by the connection.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("COMMONS_TRUSTED_PROXY_COUNT", "0"))

# Issue 13: access reviews and invitations. A membership whose person has not signed in for
# COMMONS_DORMANT_DAYS, and that no manager confirmed in that time, is suspended by the
# scheduled job (tenants.review_services); invitation links last COMMONS_INVITATION_DAYS.
COMMONS_DORMANT_DAYS = int(env("COMMONS_DORMANT_DAYS", "90"))
COMMONS_DORMANT_CRON = env("COMMONS_DORMANT_CRON") or "40 3 * * *"
# Retention schedules run nightly for every member that has one in use (rights.retention_tasks).
COMMONS_RETENTION_CRON = env("COMMONS_RETENTION_CRON") or "10 2 * * *"
COMMONS_INVITATION_DAYS = int(env("COMMONS_INVITATION_DAYS", "7"))
COMMONS_BULK_INVITE_MAX_ROWS = int(env("COMMONS_BULK_INVITE_MAX_ROWS", "500"))
# Issue 13: throttling, lockout and passwords. Ten wrong passwords for one account (however
# it is named: username or e-mail, on any site) lock it for LOCKOUT_MINUTES; the sign-in page
# says when it opens (tenants.accounts). Every limit counts in the shared cache (CACHES).
LOCKOUT_ATTEMPTS = int(env("COMMONS_LOCKOUT_ATTEMPTS", "10"))
LOCKOUT_MINUTES = int(env("COMMONS_LOCKOUT_MINUTES", "15"))
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # An office shares one address: the address limit is looser than the account's.
    "login_failed": f"40/{LOCKOUT_MINUTES}m/ip,{LOCKOUT_ATTEMPTS}/{LOCKOUT_MINUTES}m/key",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/h/ip",
    # Commons' own, counted by allauth's rate limiter (tenants.limits).
    "handoff": "60/m/ip",
    "event_sign_up": "20/h/ip,5/h/key",
}
# Wrong API tokens one address may present before it is refused for a while (tenants.api_auth).
API_TOKEN_FAILURES = env("COMMONS_API_TOKEN_FAILURES", "20/hour")
# Pass-phrases welcome: 12 characters at least, nothing guessable, no upper limit below 200
# (tenants.passwords); allauth's forms use these validators.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tenants.passwords.PatternValidator"},
]
# Issue 13: second factor. allauth.mfa through Commons' adapter (tenants.mfa): who must have
# one is tenants.mfa.second_factor_required; the authenticator app names the service so.
MFA_ADAPTER = "tenants.mfa.MFAAdapter"
MFA_TOTP_ISSUER = "Commons"
# A code typed just as the app moves on to the next still counts (RFC 6238 §5.2 advises one
# step either way); allauth refuses any code used once across the whole window.
MFA_TOTP_TOLERANCE = 1
# Issue 13: single sign-on. Each member may have its own OpenID Connect provider (tenants.sso:
# the adapter shows a request only its member's). A sign-in through it finds an existing
# account by an e-mail address the provider vouches for, and never makes one.
SOCIALACCOUNT_ADAPTER = "tenants.sso.SignOnAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False
# Issue 13: sessions. allauth keeps each session's address and when it was last seen; a
# session idle this long ends (tenants.session_middleware), sooner for consortium admins.
USERSESSIONS_TRACK_ACTIVITY = True
COMMONS_IDLE_MINUTES = int(env("COMMONS_IDLE_MINUTES", "60"))
COMMONS_ADMIN_IDLE_MINUTES = int(env("COMMONS_ADMIN_IDLE_MINUTES", "15"))
# Issue 13: browser protections. The Content-Security-Policy (django-csp through
# tenants.csp.CommonsCSPMiddleware, which adds our own sites and a request's
# csp_form_action_extra origins to form-action): nothing inline, no eval; htmx is told not to
# inject its indicator styles or evaluate code (the htmx-config meta tag in templates/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): no page needs a camera, a microphone, a
# location, payments or devices; passkeys (allauth's WebAuthn) need the two credential features.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "serial": [],
    "usb": [],
}
# DRF's browsable API pages carry inline scripts and styles the policy refuses; the API is
# explored on its Swagger page (/api/docs/), so it answers in JSON only.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
