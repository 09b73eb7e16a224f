"""Paths both kinds of site share: signing in and out, passwords, health."""

from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/handoff/", views.handoff_accept, name="handoff"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("healthz", views.healthz, name="healthz"),
]  # fmt: skip
