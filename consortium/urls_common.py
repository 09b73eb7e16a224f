"""Paths both kinds of site share: accounts (allauth: signing in and out, passwords, second
factors, sessions, single sign-on), the hand-over between sites, health."""

from django.urls import include, path

from tenants import mfa_views, views

urlpatterns = [
    path("accounts/handoff/", views.handoff_accept, name="handoff"),
    path("accounts/second-factor/", mfa_views.second_factor_needed, name="mfa_required"),
    path("accounts/", include("consortium.urls_accounts")),
    path("healthz", views.healthz, name="healthz"),
]
