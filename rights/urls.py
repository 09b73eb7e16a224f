"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import pack_views, processing_views
from .breach_urls import breach_patterns

app_name = "rights"

urlpatterns: list = []

# Subject access packs
urlpatterns += [
    path(
        "data-rights/tasks/<int:task_id>/pack/download/",
        pack_views.pack_download,
        name="pack_download",
    ),
]

# Breaches and records of processing
urlpatterns += [
    *breach_patterns,
    path("processing/", processing_views.processing_register, name="processing_register"),
    path("processing/print/", processing_views.processing_print, name="processing_print"),
    path(
        "processing/export/<str:fmt>/", processing_views.processing_export, name="processing_export"
    ),
    path(
        "processing/<str:activity>/",
        processing_views.processing_activity_edit,
        name="processing_activity_edit",
    ),
]
