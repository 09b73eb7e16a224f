"""Paths both kinds of site share: accounts (allauth: signing in and out, passwords, second
factors, sessions, single sign-on), the hand-over between sites, health."""

from django.urls import include, path

from tenants import views

urlpatterns = [
    path("accounts/handoff/", views.handoff_accept, name="handoff"),
    path("accounts/", include("consortium.urls_accounts")),
    path("healthz", views.healthz, name="healthz"),
]
