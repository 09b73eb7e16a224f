from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/research/", views.research_pooling, name="research_pooling"),
]
