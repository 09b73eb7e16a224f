from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("events", api.EventViewSet, basename="api-event")
router.register("registrations", api.RegistrationViewSet, basename="api-registration")
router.register("resources", api.ResourceViewSet, basename="api-resource")
router.register("bookings", api.BookingViewSet, basename="api-booking")

urlpatterns = router.urls
