"""People's rights on the consortium site: the consortium data protection lead's lookup,
requests and breaches. Each part of the app adds its patterns here."""

from django.urls import path

from . import exit_views, hub_views, processing_views, routing_views
from .breach_urls import breach_patterns

app_name = "rights"

urlpatterns: list = []

# The data protection hub: one page to every part below
urlpatterns += [path("data-protection/", hub_views.consortium_hub, name="hub")]

# Finding a person and routing their request
urlpatterns += [
    path("data-rights/lookup/", routing_views.lookup, name="lookup"),
    path("data-rights/requests/", routing_views.request_list, name="request_list"),
    path("data-rights/requests/new/", routing_views.request_create, name="request_create"),
    path("data-rights/requests/<int:request_id>/", routing_views.request_detail,
         name="request_detail"),
    path("data-rights/requests/<int:request_id>/extend/", routing_views.request_extend,
         name="request_extend"),
    path("data-rights/requests/<int:request_id>/close/", routing_views.request_close,
         name="request_close"),
    path("data-rights/requests/<int:request_id>/look-again/", routing_views.request_route,
         name="request_route"),
]  # fmt: skip

# Breaches and records of processing
urlpatterns += [
    *breach_patterns,
    path("processing/", processing_views.processing_members, name="processing_members"),
    path(
        "processing/<int:member_id>/",
        processing_views.processing_register_of,
        name="processing_register_of",
    ),
    path(
        "processing/<int:member_id>/print/",
        processing_views.processing_print_of,
        name="processing_print_of",
    ),
    path(
        "processing/<int:member_id>/export/<str:fmt>/",
        processing_views.processing_export_of,
        name="processing_export_of",
    ),
]

# A member's exit
urlpatterns += [
    # Members' exits (rights.exit_views): confirming a leaving, cancelling it, the certificate.
    path("exits/", exit_views.exit_list, name="exit_list"),
    path("exits/<int:exit_id>/confirm/", exit_views.exit_confirm, name="exit_confirm"),
    path("exits/<int:exit_id>/cancel/", exit_views.exit_cancel, name="exit_cancel"),
    path("exits/<int:exit_id>/certificate/", exit_views.exit_certificate, name="exit_certificate"),
]
