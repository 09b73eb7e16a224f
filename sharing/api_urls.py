from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("agreements", api.AgreementViewSet, basename="api-agreement")
router.register("shared-records", api.SharedRecordViewSet, basename="api-shared-record")
router.register("disclosures", api.DisclosureViewSet, basename="api-disclosure")

urlpatterns = router.urls
