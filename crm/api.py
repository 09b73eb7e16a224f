"""The CRM's REST API: the same selectors and services as the pages, so the same rules.

Every path answers on the member's own site; tenants.api_permissions checks membership.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from . import selectors, services
from .models import (
    Contact,
    ContactRole,
    Interaction,
    Organisation,
    OrganisationIdentifier,
    OrganisationRelationship,
    Tag,
)
from .permissions import can_see_contact, can_see_contacts
from .services.interactions import NO_SUCH_CONTACT


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ContactSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Tag.objects.all(), required=False
    )

    class Meta:
        model = Contact
        fields = [
            "id", "title", "first_name", "last_name", "preferred_name", "email", "other_emails",
            "phone", "mobile", "address_line1", "address_line2", "town", "county", "postcode",
            "notes", "is_restricted", "tags", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganisationIdentifier
        fields = ["scheme", "value", "is_preferred"]


class OrganisationSerializer(serializers.ModelSerializer):
    identifiers = IdentifierSerializer(many=True, required=False)
    tags = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Tag.objects.all(), required=False
    )

    class Meta:
        model = Organisation
        fields = [
            "id", "name", "other_names", "org_type", "identifiers", "email", "phone",
            "address_line1", "address_line2", "town", "postcode", "district", "website",
            "areas_of_work", "beneficiaries", "income_band", "membership_status", "notes",
            "tags", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactRole
        fields = ["id", "contact", "organisation", "role", "start_date", "end_date"]


class OrganisationRelationshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganisationRelationship
        fields = ["id", "from_organisation", "to_organisation", "kind", "start_date", "end_date"]


class InteractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interaction
        fields = [
            "id", "kind", "date", "duration_minutes", "staff", "contacts", "organisations",
            "summary", "notes", "outcome", "follow_up_date",
        ]  # fmt: skip
        read_only_fields = ["staff"]


@contextmanager
def _api_errors() -> Iterator[None]:
    """A service's ValidationError answers 400, naming the fields as DRF's own errors do."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ApiValidationError(detail) from exc


class ContactFilter(filters.FilterSet):
    q = filters.CharFilter(method="noop", label="Search (names, e-mail, postcode; typo-tolerant)")
    tag = filters.CharFilter(method="noop")
    consent = filters.CharFilter(method="noop", label="purpose:status, e.g. marketing:objected")
    postcode = filters.CharFilter(field_name="postcode", lookup_expr="istartswith")

    class Meta:
        model = Contact
        fields = ["postcode", "is_restricted"]

    def noop(self, queryset, name, value):
        return queryset


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("sort", str, enum=["name", "-name",
                                                                       "updated", "created"])]),
)  # fmt: skip
class ContactViewSet(viewsets.ModelViewSet):
    """Contacts the caller may see. Restricted contacts exist only for those granted them."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        params = self.request.query_params
        return selectors.contact_list(
            user=self.request.user, search=params.get("q", ""), tag=params.get("tag", ""),
            consent=params.get("consent", ""), sort=params.get("sort", "name"),
        )  # fmt: skip

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        tags = data.pop("tags", [])
        with _api_errors():
            serializer.instance = services.contact_create(
                acting_user=self.request.user, tags=tags, **data
            )

    def perform_update(self, serializer) -> None:
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        with _api_errors():
            serializer.instance = services.contact_update(
                contact=serializer.instance, acting_user=self.request.user, tags=tags, **data
            )

    def perform_destroy(self, instance: Contact) -> None:
        services.contact_delete(contact=instance, acting_user=self.request.user)


class OrganisationFilter(filters.FilterSet):
    q = filters.CharFilter(method="noop", label="Search (name, postcode, identifier)")
    tag = filters.CharFilter(method="noop")
    org_type = filters.CharFilter(method="noop")
    district = filters.CharFilter(method="noop")

    class Meta:
        model = Organisation
        fields = ["membership_status"]

    def noop(self, queryset, name, value):
        return queryset


class OrganisationViewSet(viewsets.ModelViewSet):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter

    def get_queryset(self):
        params = self.request.query_params
        return selectors.organisation_list(
            search=params.get("q", ""), tag=params.get("tag", ""),
            org_type=params.get("org_type", ""), district=params.get("district", ""),
            sort=params.get("sort", "name"),
        )  # fmt: skip

    def _save(self, serializer, instance=None) -> None:
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        identifiers = data.pop("identifiers", None)
        pairs = [(i["scheme"], i["value"]) for i in identifiers] if identifiers else None
        preferred = next((f"{i['scheme']}-{i['value']}" for i in identifiers or []
                          if i.get("is_preferred")), None)  # fmt: skip
        with _api_errors():
            if instance is None:
                serializer.instance = services.organisation_create(
                    acting_user=self.request.user, tags=tags or [], identifiers=pairs,
                    preferred_identifier=preferred, **data,
                )  # fmt: skip
            else:
                serializer.instance = services.organisation_update(
                    organisation=instance, acting_user=self.request.user, tags=tags,
                    identifiers=pairs, preferred_identifier=preferred, **data,
                )  # fmt: skip

    def perform_create(self, serializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: Organisation) -> None:
        services.organisation_delete(organisation=instance, acting_user=self.request.user)


def _visible_contacts(request):
    if request is None:
        return Contact.objects.none()
    return selectors.contacts_visible_to(user=request.user)


class RoleFilter(filters.FilterSet):
    contact = filters.ModelChoiceFilter(queryset=_visible_contacts)

    class Meta:
        model = ContactRole
        fields = ["contact", "organisation", "role"]


class InteractionFilter(filters.FilterSet):
    contacts = filters.ModelChoiceFilter(queryset=_visible_contacts)

    class Meta:
        model = Interaction
        fields = ["kind", "contacts", "organisations", "date"]


class VisibleContactsMixin:
    """Contact fields accept only contacts the caller may see: a hidden contact's id is
    refused exactly like an id that does not exist."""

    contact_fields: tuple[str, ...] = ()

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        fields = getattr(serializer, "fields", {})
        for name in self.contact_fields:
            field = fields.get(name)
            if field is None:
                continue
            target = getattr(field, "child_relation", field)
            target.queryset = selectors.contacts_visible_to(user=self.request.user)
        return serializer


class RoleViewSet(VisibleContactsMixin, viewsets.ModelViewSet):
    """Contacts' roles at organisations, for contacts the caller may see."""

    serializer_class = RoleSerializer
    filterset_class = RoleFilter
    contact_fields = ("contact",)

    def get_queryset(self):
        visible = selectors.contacts_visible_to(user=self.request.user).values("pk")
        return ContactRole.objects.filter(contact__in=visible).order_by("id")

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        self._visible(data["contact"])
        with _api_errors():
            serializer.instance = services.role_add(acting_user=self.request.user, **data)

    def perform_update(self, serializer) -> None:
        data = dict(serializer.validated_data)
        with _api_errors():
            serializer.instance = services.role_update(
                role=serializer.instance, acting_user=self.request.user, **data
            )

    def perform_destroy(self, instance: ContactRole) -> None:
        services.role_delete(role=instance, acting_user=self.request.user)

    def _visible(self, contact: Contact) -> None:
        if not can_see_contact(self.request.user, contact):
            raise ApiValidationError({"contact": [NO_SUCH_CONTACT]})


class OrganisationRelationshipViewSet(viewsets.ModelViewSet):
    serializer_class = OrganisationRelationshipSerializer
    filterset_fields = ["from_organisation", "to_organisation", "kind"]
    queryset = OrganisationRelationship.objects.order_by("id")

    def perform_create(self, serializer) -> None:
        with _api_errors():
            serializer.instance = services.organisation_relationship_create(
                acting_user=self.request.user, **serializer.validated_data
            )

    def perform_update(self, serializer) -> None:
        with _api_errors():
            serializer.instance = services.organisation_relationship_update(
                relationship=serializer.instance, acting_user=self.request.user,
                **serializer.validated_data,
            )  # fmt: skip

    def perform_destroy(self, instance: OrganisationRelationship) -> None:
        services.organisation_relationship_delete(relationship=instance,
                                                  acting_user=self.request.user)  # fmt: skip


class InteractionViewSet(VisibleContactsMixin, viewsets.ModelViewSet):
    """Interactions the caller may see (every contact on them visible to the caller): one
    with a restricted contact hidden from the caller answers 404, like a missing id."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    contact_fields = ("contacts",)

    def get_queryset(self):
        return selectors.interactions_for(user=self.request.user)

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        contacts = data.pop("contacts", [])
        if not can_see_contacts(self.request.user, contacts):
            raise ApiValidationError({"contacts": [NO_SUCH_CONTACT]})
        serializer.instance = services.interaction_create(
            acting_user=self.request.user, contacts=contacts,
            organisations=data.pop("organisations", []), **data,
        )  # fmt: skip

    def perform_update(self, serializer) -> None:
        with _api_errors():
            serializer.instance = services.interaction_update(
                interaction=serializer.instance, acting_user=self.request.user,
                **serializer.validated_data,
            )  # fmt: skip

    def perform_destroy(self, instance: Interaction) -> None:
        services.interaction_delete(interaction=instance, acting_user=self.request.user)


class TagViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    queryset = Tag.objects.order_by("name")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = services.tag_get_or_create(
            name=serializer.validated_data["name"], acting_user=request.user
        )
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)
