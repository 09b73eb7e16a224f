"""The breach log's pages: the same on both sites (rights.urls and rights.urls_consortium)."""

from django.urls import path

from . import breach_views

breach_patterns = [
    path("breaches/", breach_views.breach_list, name="breach_list"),
    path("breaches/new/", breach_views.breach_new, name="breach_new"),
    path("breaches/<int:breach_id>/", breach_views.breach_detail, name="breach_detail"),
    path("breaches/<int:breach_id>/edit/", breach_views.breach_edit, name="breach_edit"),
    path("breaches/<int:breach_id>/decide/", breach_views.breach_decide, name="breach_decide"),
    path("breaches/<int:breach_id>/report/", breach_views.breach_report, name="breach_report"),
    path("breaches/<int:breach_id>/note/", breach_views.breach_note, name="breach_note"),
    path("breaches/<int:breach_id>/close/", breach_views.breach_close, name="breach_close"),
]
