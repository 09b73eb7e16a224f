"""Sharing API on a member's site: agreements, what is shared with us (search, filter), and
the disclosure log of what we share. Same selectors, same rules as the pages."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from . import selectors, services
from .models import Agreement, AgreementParty, Disclosure, DisclosureAction, SharedRecord


class PartySerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.name")

    class Meta:
        model = AgreementParty
        fields = ["member", "role", "signed_at", "signed_role"]


class AgreementSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.name")
    parties = PartySerializer(many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id", "title", "version", "status", "provider", "all_members", "parties",
            "purpose", "lawful_basis", "dpia_reference", "expected_benefit", "record_types",
            "contact_fields",
            "organisation_fields", "criteria_tags", "criteria_org_types", "criteria_districts",
            "requires_consent", "access_mode", "start_date", "review_date", "end_date",
            "retention",
        ]  # fmt: skip


class SharedRecordSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="agreement.provider.name")
    agreement_title = serializers.CharField(source="agreement.title")

    class Meta:
        model = SharedRecord
        fields = ["id", "record_type", "display_name", "data", "provider", "agreement",
                  "agreement_title", "updated_at"]  # fmt: skip


class DisclosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = ["id", "at", "member_id", "agreement_id", "action", "record_type",
                  "record_ids", "reason"]  # fmt: skip


class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    """Agreements this member is party to (any state)."""

    serializer_class = AgreementSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no tenant
            return Agreement.objects.none()
        return selectors.agreements_of(member=self.request.tenant).prefetch_related(
            "parties__member"
        )


class SharedRecordFilter(filters.FilterSet):
    q = filters.CharFilter(method="noop", label="Search")
    provider = filters.NumberFilter(method="noop")
    agreement = filters.NumberFilter(method="noop")
    record_type = filters.CharFilter(method="noop")

    class Meta:
        model = SharedRecord
        fields: list[str] = []

    def noop(self, queryset, name, value):
        return queryset


class SharedRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """Records shared with this member now. Reads of personal data are logged."""

    serializer_class = SharedRecordSerializer
    filterset_class = SharedRecordFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SharedRecord.objects.none()
        params = self.request.query_params

        def number(name: str) -> int | None:
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        return selectors.shared_records_for(
            member=self.request.tenant, search=params.get("q", ""),
            provider_id=number("provider"), agreement_id=number("agreement"),
            record_type=params.get("record_type", ""),
        )  # fmt: skip

    def _log(self, records: list[SharedRecord]) -> None:
        shown = [r for r in records if r.holds_personal_data]
        if shown:
            services.disclosure_record(acting_user=self.request.user, member=self.request.tenant,
                                       records=shown, action=DisclosureAction.VIEW,
                                       reason="API")  # fmt: skip

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", [])]
        self._log(list(SharedRecord.objects.filter(pk__in=ids)))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._log([self.get_object()])
        return response


class DisclosureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The disclosure log of records this member shares: who saw, exported or copied what."""

    serializer_class = DisclosureSerializer
    filterset_fields = ["action", "agreement_id", "member_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Disclosure.objects.none()
        return selectors.disclosures_of(provider=self.request.tenant, limit=None)
