"""The consortium site (the public schema): members, onboarding, the picker."""

from django.urls import include, path

from sharing import consortium as sharing_views
from tenants import views

from .urls_common import urlpatterns as common

urlpatterns = [
    path("", views.consortium_home, name="home"),
    path("members/new/", views.member_add, name="member_add"),
    path("members/<slug:slug>/", views.member_detail, name="member_detail"),
    path("go/<slug:slug>/", views.go_to_member, name="go_to_member"),
    path("sharing/register/", sharing_views.register, name="sharing_register"),
    path("sharing/map/", sharing_views.sharing_map, name="sharing_map"),
    path("sharing/templates/", sharing_views.templates, name="sharing_templates"),
    path("", include("reporting.urls_consortium")),
    *common,
]
