"""Events API on a member's site: events, registrations, resources and bookings, through the
same selectors, permissions and services as the pages (and in the OpenAPI schema)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import bookings, permissions, selectors, services
from .models import Booking, Event, Recurrence, Registration, Resource


def _drf_error(exc: Exception) -> exceptions.APIException:
    if isinstance(exc, bookings.BookingClash):
        error = exceptions.ValidationError(
            {
                "detail": exc.message,
                "clashes": [c.text() for c in exc.clashes],
                "suggestions": [{"starts_at": s, "ends_at": e} for s, e in exc.suggestions],
            }
        )
        error.status_code = status.HTTP_409_CONFLICT
        return error
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return exceptions.ValidationError(detail)


class EventSerializer(serializers.ModelSerializer):
    host = serializers.CharField(source="host_name", read_only=True)
    venue = serializers.CharField(source="venue_text", read_only=True)
    places_left = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "uid",
            "host",
            "title",
            "description",
            "event_type",
            "starts_at",
            "ends_at",
            "venue_kind",
            "venue",
            "online_url",
            "capacity",
            "places_left",
            "waitlist",
            "visibility",
            "price_note",
            "accessibility",
            "status",
            "sequence",
            "updated_at",
        ]


class EventFilter(filters.FilterSet):
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["event_type", "status", "visibility"]


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events this member may see: its own in any state, others' published ones."""

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return selectors.events_visible(user=self.request.user, member=self.request.tenant)


class RegistrationSerializer(serializers.ModelSerializer):
    """A host sees the snapshot; the registering member also sees its own contact id."""

    event_title = serializers.CharField(source="event.title", read_only=True)
    contact_id = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "event_title",
            "name",
            "email",
            "organisation",
            "access_needs",
            "status",
            "attended",
            "created_at",
            "contact_id",
        ]
        read_only_fields = [
            "event",
            "name",
            "email",
            "organisation",
            "status",
            "attended",
            "created_at",
        ]

    def get_contact_id(self, obj: Registration) -> int | None:
        return selectors.registration_contact_id(
            registration=obj, member=self.context["request"].tenant
        )


class RegistrationFilter(filters.FilterSet):
    # Plain numbers: a choice list would name every event, visible or not.
    event = filters.NumberFilter(field_name="event_id")

    class Meta:
        model = Registration
        fields = ["status"]


class RegistrationCreateSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    access_needs = serializers.CharField(required=False, allow_blank=True, default="")


class RegistrationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Registrations we made for our contacts, and the registers of events we host.
    POST books one of our contacts (the host receives its snapshot; this is logged)."""

    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return (
            selectors.registrations_visible(user=self.request.user, member=self.request.tenant)
            .select_related("event")
            .order_by("-created_at")
        )

    @extend_schema(request=RegistrationCreateSerializer, responses=RegistrationSerializer)
    def create(self, request, *args, **kwargs):
        incoming = RegistrationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        member = request.tenant
        try:
            event = selectors.event_get(
                user=request.user, member=member, event_id=incoming.validated_data["event"]
            )
            registration = services.registration_for_contact(
                acting_user=request.user,
                member=member,
                event=event,
                contact_id=incoming.validated_data["contact_id"],
                access_needs=incoming.validated_data["access_needs"],
            )
        except Event.DoesNotExist as exc:
            raise exceptions.NotFound("No such event.") from exc
        except (ValidationError, PermissionDenied) as exc:
            raise _drf_error(exc) from exc
        data = RegistrationSerializer(registration, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):
        registration = self.get_object()
        try:
            registration = services.registration_cancel(
                acting_user=request.user, member=request.tenant, registration=registration
            )
        except (PermissionDenied, ValidationError) as exc:
            raise _drf_error(exc) from exc
        return Response(RegistrationSerializer(registration, context={"request": request}).data)


class ResourceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner_name", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "owner",
            "name",
            "kind",
            "description",
            "capacity",
            "accessibility",
            "location",
            "bookable_by",
            "needs_approval",
            "is_active",
        ]


class ResourceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ResourceSerializer
    filterset_fields = ["kind", "bookable_by"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Resource.objects.none()
        return selectors.resources_bookable(user=self.request.user, member=self.request.tenant)


class BookingSerializer(serializers.ModelSerializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    holder = serializers.SerializerMethodField()
    title = serializers.CharField(max_length=200)
    recurrence = serializers.ChoiceField(
        choices=Recurrence.choices, required=False, default="", write_only=True
    )
    repeat_count = serializers.IntegerField(min_value=1, max_value=104, default=1, write_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "resource",
            "starts_at",
            "ends_at",
            "title",
            "status",
            "holder",
            "series",
            "recurrence",
            "repeat_count",
        ]
        read_only_fields = ["status", "series"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        if request is not None and getattr(tenant, "kind", "") == "member":
            # Only resources this member may book are offered (and named) here.
            fields["resource"].queryset = selectors.resources_bookable(
                user=request.user, member=tenant
            )
        else:
            fields["resource"].queryset = Resource.objects.none()
        return fields

    def get_holder(self, obj) -> str:
        request = self.context["request"]
        return (
            obj.holder_name
            if permissions.can_see_booking_holder(request.user, request.tenant, obj)
            else ""
        )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context["request"]
        if not permissions.can_see_booking_holder(request.user, request.tenant, instance):
            data["title"] = "Booked"
        return data


class BookingFilter(filters.FilterSet):
    resource = filters.NumberFilter(field_name="resource_id")

    class Meta:
        model = Booking
        fields = ["status"]


class BookingViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Our bookings. POST books a resource (repeating if asked); a clash answers 409 with the
    clashing times and the next free slots."""

    serializer_class = BookingSerializer
    filterset_class = BookingFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        return selectors.bookings_held_by(member=self.request.tenant, upcoming=False)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            resource = selectors.resource_get(
                user=request.user, member=request.tenant, resource_id=data["resource"].pk
            )
        except Resource.DoesNotExist as exc:
            raise exceptions.NotFound("No such resource.") from exc
        try:
            made = bookings.booking_place(
                acting_user=request.user,
                member=request.tenant,
                resource=resource,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                title=data["title"],
                recurrence=data.get("recurrence", ""),
                repeat_count=data.get("repeat_count", 1),
            )
        except (bookings.BookingClash, ValidationError, PermissionDenied) as exc:
            raise _drf_error(exc) from exc
        out = BookingSerializer(made, many=True, context={"request": request}).data
        return Response(out, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):
        booking = self.get_object()
        try:
            bookings.booking_cancel(acting_user=request.user, booking=booking)
        except (PermissionDenied, ValidationError) as exc:
            raise _drf_error(exc) from exc
        booking.refresh_from_db()
        return Response(BookingSerializer(booking, context={"request": request}).data)
