from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/export.<str:file_format>", views.contact_export, name="contact_export"),
    path("contacts/new/", views.contact_edit, name="contact_create"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:contact_id>/consent/", views.contact_consent, name="contact_consent"),
    path("contacts/<int:contact_id>/roles/", views.contact_role_add, name="contact_role_add"),
    path("contacts/<int:contact_id>/access/", views.contact_access, name="contact_access"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/export.<str:file_format>", views.organisation_export,
         name="organisation_export"),
    path("organisations/new/", views.organisation_edit, name="organisation_create"),
    path("organisations/<int:organisation_id>/", views.organisation_detail,
         name="organisation_detail"),
    path("organisations/<int:organisation_id>/edit/", views.organisation_edit,
         name="organisation_edit"),
    path("organisations/<int:organisation_id>/delete/", views.organisation_delete,
         name="organisation_delete"),
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<str:record_type>/<int:keep_id>/<int:drop_id>/", views.merge, name="merge"),
    path("imports/", views.import_start, name="import_start"),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
]  # fmt: skip
