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
# Tests run in one transaction per test: progress goes on that same connection.
IMPORT_PROGRESS_DATABASE = "default"
# A server subprocess (the browser tests) closes its connection after each request, so none
# outlives the tests and blocks dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
