"""Production: secure defaults, every secret from the environment."""

from .base import *  # noqa: F403
from .base import DEVELOPMENT_PERSON_KEY, SILENCED_SYSTEM_CHECKS, env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to at least 50 random characters.")

# People's identifier hashes (sharing.person_keys) need a key of the consortium's own. Only
# COMMONS_PLAIN_HTTP=1 (`make serve` on one's own machine, over the demo's hashes) falls back
# to the development key; behind HTTPS there is no default.
_plain_http = env_bool("COMMONS_PLAIN_HTTP", False)
COMMONS_PERSON_KEY = env("COMMONS_PERSON_KEY") or (DEVELOPMENT_PERSON_KEY if _plain_http else "")
if len(COMMONS_PERSON_KEY) < 32 or (COMMONS_PERSON_KEY == DEVELOPMENT_PERSON_KEY
                                    and not _plain_http):  # fmt: skip
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "COMMONS_PERSON_KEY must be set to at least 32 random characters (the key of "
        "people's identifier hashes; see deploy/README.md)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# One switch for plain HTTP, and only `make serve` on one's own machine turns it on: it drops
# the HTTPS redirect, secure cookies and HSTS together (gunicorn.conf.py says so when it
# starts). Never in production.
PLAIN_HTTP = env_bool("COMMONS_PLAIN_HTTP", False)
SECURE_SSL_REDIRECT = not PLAIN_HTTP
SESSION_COOKIE_SECURE = not PLAIN_HTTP
CSRF_COOKIE_SECURE = not PLAIN_HTTP
SESSION_COOKIE_HTTPONLY = True
# HSTS: a year by default; member sites are subdomains, so they are included. Preloading
# (browsers ship the domain in their lists; leaving takes months) is the consortium's own
# decision: DJANGO_SECURE_HSTS_PRELOAD=1 once every subdomain is served over HTTPS.
SECURE_HSTS_SECONDS = 0 if PLAIN_HTTP else int(env("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # off by choice, above
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
