"""Tests: fast hashing, e-mail kept in memory."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = [".localhost", "localhost"]
# Tests run in one transaction per test: progress goes on that same connection. Queue workers
# the tests start (tests/conftest.py) see only committed rows, and report progress as deployed.
IMPORT_PROGRESS_DATABASE = env("COMMONS_IMPORT_PROGRESS_DATABASE", "default")  # noqa: F405
# Queue workers started by the tests (tests/conftest.py) give up on a silent colleague within
# seconds, so the kill-a-worker test (tests/test_queue.py) waits seconds, not minutes.
QUEUE_HEARTBEAT_SECONDS = 0.5
QUEUE_STALLED_SECONDS = 4.0
QUEUE_STALLED_CHECK_CRON = "* * * * * *"
PROCRASTINATE_WORKER_DEFAULTS = {
    **PROCRASTINATE_WORKER_DEFAULTS,  # noqa: F405
    "update_heartbeat_interval": QUEUE_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": QUEUE_STALLED_SECONDS,
}

# A template reading a variable that does not exist prints this marker instead of nothing;
# the URL sweep (tests/test_sweep_urls.py) fails on any page that shows it.
# The marker is falsy, so `{% if %}` and `|default` behave as with the empty default
# (Django hands the marker itself to both when a lookup fails silently).


class _MissingVariable(str):
    def __bool__(self) -> bool:
        return False


MISSING_VARIABLE_MARKER = "MISSING-TEMPLATE-VARIABLE"
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = _MissingVariable(MISSING_VARIABLE_MARKER)  # noqa: F405

# A server subprocess (the browser tests) closes its connection after each request, so none
# outlives the tests and blocks dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
