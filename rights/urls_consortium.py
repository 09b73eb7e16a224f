"""People's rights on the consortium site: the consortium data protection lead's lookup,
requests and breaches. Each part of the app adds its patterns here."""

from django.urls import path

from . import exit_views

app_name = "rights"

urlpatterns: list = [
    # Members' exits (rights.exit_views): confirming a leaving, cancelling it, the certificate.
    path("exits/", exit_views.exit_list, name="exit_list"),
    path("exits/<int:exit_id>/confirm/", exit_views.exit_confirm, name="exit_confirm"),
    path("exits/<int:exit_id>/cancel/", exit_views.exit_cancel, name="exit_cancel"),
    path("exits/<int:exit_id>/certificate/", exit_views.exit_certificate, name="exit_certificate"),
]
