from django.urls import path

from .views import contacts, duplicates, holds, imports, interactions, organisations

app_name = "crm"

urlpatterns = [
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/export.<str:file_format>", contacts.contact_export, name="contact_export"),
    path("contacts/new/", contacts.contact_edit, name="contact_create"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", contacts.contact_delete, name="contact_delete"),
    path("contacts/<int:contact_id>/consent/", contacts.contact_consent, name="contact_consent"),
    path("contacts/<int:contact_id>/roles/", contacts.contact_role_add, name="contact_role_add"),
    path("contacts/<int:contact_id>/access/", contacts.contact_access, name="contact_access"),
    path("contacts/<int:contact_id>/hold/", holds.contact_hold, name="contact_hold"),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/export.<str:file_format>", organisations.organisation_export,
         name="organisation_export"),
    path("organisations/new/", organisations.organisation_edit, name="organisation_create"),
    path("organisations/<int:organisation_id>/", organisations.organisation_detail,
         name="organisation_detail"),
    path("organisations/<int:organisation_id>/edit/", organisations.organisation_edit,
         name="organisation_edit"),
    path("organisations/<int:organisation_id>/delete/", organisations.organisation_delete,
         name="organisation_delete"),
    path("organisations/<int:organisation_id>/hold/", holds.organisation_hold,
         name="organisation_hold"),
    path("interactions/new/", interactions.interaction_create, name="interaction_create"),
    path("interactions/<int:interaction_id>/", interactions.interaction_detail,
         name="interaction_detail"),
    path("interactions/<int:interaction_id>/hold/", holds.interaction_hold,
         name="interaction_hold"),
    path("duplicates/", duplicates.duplicates, name="duplicates"),
    path("duplicates/<str:record_type>/<int:keep_id>/<int:drop_id>/", duplicates.merge,
         name="merge"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/<int:job_id>/", imports.import_detail, name="import_detail"),
]  # fmt: skip
