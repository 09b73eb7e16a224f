from django.urls import path

from .views import agreements, rules, shared

app_name = "sharing"

urlpatterns = [
    path("shared/", shared.shared_list, name="shared_list"),
    path("shared/export.csv", shared.shared_export, name="shared_export"),
    path("shared/<int:shared_id>/", shared.shared_detail, name="shared_detail"),
    path("shared/<int:shared_id>/copy/", shared.shared_copy, name="shared_copy"),
    path("shared/<int:shared_id>/link/", shared.shared_link, name="shared_link"),
    path("agreements/", agreements.agreement_list, name="agreement_list"),
    path("agreements/new/", agreements.agreement_edit, name="agreement_create"),
    path("agreements/<int:agreement_id>/", agreements.agreement_detail, name="agreement_detail"),
    path("agreements/<int:agreement_id>/amend/", agreements.agreement_edit,
         name="agreement_amend"),
    path("agreements/<int:agreement_id>/<str:action>/", agreements.agreement_action,
         name="agreement_action"),
    path("what-we-share/", agreements.what_we_share, name="what_we_share"),
    path("rules/", rules.rules_page, name="rules"),
    path("rules/for-purpose/", rules.purpose_rules, name="purpose_rules"),
]  # fmt: skip
