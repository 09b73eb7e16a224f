"""People's rights on the consortium site: the consortium data protection lead's lookup,
requests and breaches. Each part of the app adds its patterns here."""

from django.urls import path

from . import processing_views
from .breach_urls import breach_patterns

app_name = "rights"

urlpatterns: list = []

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
