from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    member = serializers.CharField()
    member_slug = serializers.CharField()
    role = serializers.CharField()


class MeApi(APIView):
    """Who is calling, and as what, at this member."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        membership = request._request.membership
        data = {
            "username": request.user.get_username(),
            "full_name": request.user.get_full_name(),
            "member": membership.member.name,
            "member_slug": membership.member.slug,
            "role": membership.role,
        }
        return Response(MeOutputSerializer(data).data)
