"""Reporting and research on the consortium site."""

from django.urls import path

from . import consortium as views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.consortium_reports, name="consortium_reports"),
    path("reports/surveys/", views.consortium_surveys, name="consortium_surveys"),
    path("research/admin/", views.research_admin, name="research_admin"),
    path("research/releases/", views.release_log, name="release_log"),
    path("research/", views.research_home, name="research_home"),
    path("research/projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("research/projects/<int:project_id>/codebook/<int:dataset_id>/<int:year>.csv",
         views.codebook_download, name="codebook"),
    path("research/outputs/<int:output_id>/", views.output_detail, name="output_detail"),
    path("research/outputs/<int:output_id>/action/", views.output_action,
         name="output_action"),
    path("research/outputs/<int:output_id>/download.<str:file_format>", views.output_download,
         name="output_download"),
]  # fmt: skip
