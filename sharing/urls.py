from django.urls import path

from . import rule_views, views

app_name = "sharing"

urlpatterns = [
    path("shared/", views.shared_list, name="shared_list"),
    path("shared/export.csv", views.shared_export, name="shared_export"),
    path("shared/<int:shared_id>/", views.shared_detail, name="shared_detail"),
    path("shared/<int:shared_id>/copy/", views.shared_copy, name="shared_copy"),
    path("shared/<int:shared_id>/link/", views.shared_link, name="shared_link"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_edit, name="agreement_create"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:agreement_id>/amend/", views.agreement_edit, name="agreement_amend"),
    path("agreements/<int:agreement_id>/<str:action>/", views.agreement_action,
         name="agreement_action"),
    path("what-we-share/", views.what_we_share, name="what_we_share"),
    path("rules/", rule_views.rules_page, name="rules"),
    path("rules/for-purpose/", rule_views.purpose_rules, name="purpose_rules"),
]  # fmt: skip
