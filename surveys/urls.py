from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey_detail"),
    path("surveys/waves/<int:wave_id>/", views.wave_detail, name="wave_detail"),
    path("surveys/waves/<int:wave_id>/questions/", views.wave_questions, name="wave_questions"),
    path("surveys/waves/<int:wave_id>/status/", views.wave_status, name="wave_status"),
    path("surveys/waves/<int:wave_id>/invite/", views.wave_invite, name="wave_invite"),
    path("surveys/waves/<int:wave_id>/enter/<int:organisation_id>/", views.response_enter,
         name="response_enter"),
    path("surveys/responses/<int:response_id>/", views.response_detail,
         name="response_detail"),
    path("respond/<str:token>/", views.respond, name="respond"),
]  # fmt: skip
