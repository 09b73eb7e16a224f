"""A stand-in for a member's own identity provider (Microsoft 365, Google Workspace): allauth's
OpenID Connect provider in a minimal Django project of its own, on sqlite. It is not Commons;
tests/tenants/test_sso.py starts it on a loopback port and signs in through it."""
