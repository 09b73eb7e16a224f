"""The consortium site (the public schema): members, onboarding, the picker."""

from django.urls import include, path

from events.urls import public_urlpatterns as public_events
from sharing.views import oversight as sharing_views
from sharing.views import rules as rule_views
from tenants import limit_views, mfa_views, security_views, sso_views, views

from .urls_common import urlpatterns as common

urlpatterns = [
    path("", views.consortium_home, name="home"),
    path("members/new/", views.member_add, name="member_add"),
    path("members/<slug:slug>/", views.member_detail, name="member_detail"),
    path(
        "members/<slug:slug>/unlock/<int:membership_id>/",
        limit_views.member_unlock,
        name="member_unlock",
    ),
    path("members/<slug:slug>/sign-on/", sso_views.member_sign_on, name="member_sign_on"),
    path(
        "members/<slug:slug>/sign-on/remove/",
        sso_views.member_sign_on_remove,
        name="member_sign_on_remove",
    ),
    path("go/<slug:slug>/", views.go_to_member, name="go_to_member"),
    path(
        "people/data-protection-leads/",
        views.consortium_data_protection_leads,
        name="consortium_dp_leads",
    ),
    path(
        "people/data-protection-leads/<int:user_id>/remove/",
        views.consortium_data_protection_lead_remove,
        name="consortium_dp_lead_remove",
    ),
    path("security/", security_views.consortium_security_events, name="security_events"),
    path(
        "people/<int:user_id>/second-factor/reset/",
        mfa_views.second_factor_reset,
        name="mfa_reset",
    ),
    path("sharing/register/", sharing_views.register, name="sharing_register"),
    path("sharing/map/", sharing_views.sharing_map, name="sharing_map"),
    path("sharing/templates/", sharing_views.templates, name="sharing_templates"),
    path("", include("events.urls")),
    *public_events,
    path("sharing/rules/", rule_views.rules_overview, name="sharing_rules"),
    path(
        "sharing/rules/fields/<str:record_type>/<str:field>/",
        rule_views.field_rule_edit,
        name="sharing_rule_field",
    ),
    path(
        "sharing/rules/purposes/<str:purpose>/", rule_views.policy_edit, name="sharing_rule_policy"
    ),
    path("sharing/rules/standing/new/", rule_views.standing_edit, name="sharing_standing_create"),
    path(
        "sharing/rules/standing/<int:standing_id>/",
        rule_views.standing_edit,
        name="sharing_standing_edit",
    ),
    path("", include("reporting.urls_consortium")),
    path("", include("rights.urls_consortium")),
    *common,
]
