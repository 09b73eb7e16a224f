from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("contacts", api.ContactViewSet, basename="api-contact")
router.register("organisations", api.OrganisationViewSet, basename="api-organisation")
router.register("roles", api.RoleViewSet, basename="api-role")
router.register("organisation-relationships", api.OrganisationRelationshipViewSet,
                basename="api-organisation-relationship")  # fmt: skip
router.register("interactions", api.InteractionViewSet, basename="api-interaction")
router.register("tags", api.TagViewSet, basename="api-tag")

urlpatterns = router.urls
