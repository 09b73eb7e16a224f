"""Reporting and research on the consortium site."""

from django.urls import path

from . import admin_views, research_views

app_name = "reporting"

urlpatterns = [
    path("reports/", admin_views.consortium_reports, name="consortium_reports"),
    path("reports/surveys/", admin_views.consortium_surveys, name="consortium_surveys"),
    path("research/admin/", admin_views.research_admin, name="research_admin"),
    path("research/releases/", admin_views.release_log, name="release_log"),
    path("research/", research_views.research_home, name="research_home"),
    path("research/projects/<int:project_id>/", research_views.project_detail,
         name="project_detail"),
    path("research/projects/<int:project_id>/codebook/<int:dataset_id>/<int:year>.csv",
         research_views.codebook_download, name="codebook"),
    path("research/outputs/<int:output_id>/", research_views.output_detail, name="output_detail"),
    path("research/outputs/<int:output_id>/action/", research_views.output_action,
         name="output_action"),
    path("research/outputs/<int:output_id>/download.<str:file_format>",
         research_views.output_download, name="output_download"),
]  # fmt: skip
