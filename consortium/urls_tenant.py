"""A member's own site: <slug>.<base domain>."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reporting import views as reporting_views
from tenants import api, limit_views, mfa_views, review_views, security_views, views

from .urls_common import urlpatterns as common

urlpatterns = [
    path("", reporting_views.dashboard, name="home"),
    path("team/", views.team, name="team"),
    path("team/security/", security_views.member_security_events, name="security_events"),
    path("team/<int:membership_id>/remove/", views.team_remove, name="team_remove"),
    path("team/<int:membership_id>/role/", views.team_set_role, name="team_set_role"),
    path(
        "team/<int:membership_id>/data-protection-lead/",
        views.team_set_data_protection_lead,
        name="team_set_data_protection_lead",
    ),
    path("team/access/", review_views.access_review, name="access_review"),
    path("team/access/review/", review_views.access_review_record, name="access_review_record"),
    path(
        "team/access/<int:membership_id>/confirm/",
        review_views.access_confirm,
        name="access_confirm",
    ),
    path(
        "team/access/<int:membership_id>/suspend/",
        review_views.access_suspend,
        name="access_suspend",
    ),
    path(
        "team/access/<int:membership_id>/reinstate/",
        review_views.access_reinstate,
        name="access_reinstate",
    ),
    path(
        "team/access/<int:membership_id>/reinvite/",
        review_views.access_reinvite,
        name="access_reinvite",
    ),
    path("team/invite/", review_views.team_invite_bulk, name="team_invite_bulk"),
    path("accounts/invitation/", review_views.invitation_accept, name="invitation_accept"),
    path("team/<int:membership_id>/unlock/", limit_views.team_unlock, name="team_unlock"),
    path("team/second-factor/", mfa_views.team_second_factor, name="team_second_factor"),
    path("switch/", views.switch_member, name="switch_member"),
    path("api-token/", views.api_token, name="api_token"),
    path("", include("crm.urls")),
    path("", include("sharing.urls")),
    path("", include("events.urls")),
    path("", include("surveys.urls")),
    path("", include("reporting.urls")),
    path("", include("rights.urls")),
    path("api/me/", api.MeApi.as_view(), name="api_me"),
    path("api/", include("crm.api_urls")),
    path("api/", include("sharing.api_urls")),
    path("api/", include("events.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file (?script=): the CSP runs no inline one.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api_docs.html"),
        name="api_docs",
    ),
    *common,
]
