"""API endpoints of the core app: who is calling (`GET /api/v1/me/`), so a program can check
its token end to end. The resources are in ppm/api/resources.py."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ppm.models import ApiToken
from ppm.roles import roles_of


class TokenOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    # "token" or "session": which credential this request carried.
    authenticated_by = serializers.CharField()
    token = TokenOutputSerializer(allow_null=True)


class MeView(APIView):
    """Who is calling: username, full name and roles, and, when the request carries a personal
    API token, that token's name, first characters and expiry."""

    serializer_class = MeOutputSerializer

    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "roles": sorted(role.value for role in roles_of(user)),
            "authenticated_by": "token" if token is not None else "session",
            "token": token,
        }
        return Response(MeOutputSerializer(data).data)
