"""Writes through the API: the UI's service functions, guarded by the record's version.

A versioned record is read with an `ETag: "<version>"`; a write must send it back in
`If-Match` (428 without it), and one made against an older version is refused with 412 and
the current version, never applied over someone else's change. Who may write is the UI's
rule (`ppm.access.can_change` on the record's project): a record one may see but not change
is a 403, one out of sight a 404. A service's refusal (`DomainError`) is a 400 naming the
field, as the form would show it next to the field.
"""

from __future__ import annotations

import re

from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response

from ppm.access import can_change
from projects.services.common import ConflictError, DomainError
from projects.services.dates import check_calendar
from projects.services.milestones import (
    milestone_achieve,
    milestone_reforecast,
    milestone_update,
)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = 'Send the version you read in If-Match (its ETag, e.g. If-Match: "3").'
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    """412, its body naming the version the record is at now (a number, not a message)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "This record changed since you read it: read it again."
    default_code = "precondition_failed"

    def __init__(self, current_version: int, detail: str | None = None):
        super().__init__(detail)
        self.current_version = current_version


# A version as this API writes it: ASCII digits (not "٣", not "1e9"), at most nine of them.
_VERSION = re.compile(r"[0-9]{1,9}")


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request, current: int) -> int:
    """The version the client read, from If-Match; 428 without it, 412 when it is stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    value = header.removeprefix("W/").strip('"')
    if not _VERSION.fullmatch(value):
        raise ValidationError({"If-Match": ['An ETag as this API sends it, e.g. "3".']})
    if int(value) != current:
        raise PreconditionFailed(current)
    return current


def refused(error: DomainError) -> ValidationError:
    return ValidationError({error.field or "non_field_errors": [str(error)]})


class MilestoneEdit(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    is_key = serializers.BooleanField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)


class DayField(serializers.DateField):
    """A date within the calendar Conductor accepts (projects.services.dates)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            check_calendar(day, field=self.field_name)
        except DomainError as error:
            raise serializers.ValidationError(str(error)) from error
        return day


class Reforecast(serializers.Serializer):
    forecast_date = DayField()
    reason = serializers.CharField(max_length=500)


class Achieve(serializers.Serializer):
    actual_date = DayField()


class MilestoneWrites:
    """PATCH a milestone's descriptive fields; POST …/reforecast/ and …/achieve/."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "_etag", None):
            response["ETag"] = self._etag
        return response

    def handle_exception(self, exc):
        if isinstance(exc, PreconditionFailed):
            self._etag = etag(exc.current_version)
            body = {"detail": str(exc.detail), "current_version": exc.current_version}
            return Response(body, status=exc.status_code)
        return super().handle_exception(exc)

    def retrieve(self, request, *args, **kwargs):
        milestone = self.get_object()
        self._etag = etag(milestone.version)
        return Response(self.get_serializer(milestone).data)

    def _writable(self, request):
        milestone = self.get_object()  # 404 out of sight
        if not can_change(request.user, milestone.project):
            raise PermissionDenied("You may not change this project's milestones.")
        return milestone

    def _apply(self, request, input_class, write):
        milestone = self._writable(request)
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        version = expected_version(request, milestone.version)
        try:
            write(milestone, version, data.validated_data)
        except DomainError as error:
            raise refused(error) from error
        except ConflictError as error:
            raise PreconditionFailed(error.current.version, str(error)) from error
        milestone.refresh_from_db()
        self._etag = etag(milestone.version)
        return Response(self.get_serializer(milestone).data)

    def partial_update(self, request, *args, **kwargs):
        def write(milestone, version, values):
            milestone_update(
                milestone=milestone, expected_version=version, by=request.user, **values
            )

        return self._apply(request, MilestoneEdit, write)

    @action(detail=True, methods=["post"])
    def reforecast(self, request, pk=None):
        def write(milestone, version, values):
            milestone_reforecast(
                milestone=milestone, expected_version=version, by=request.user, **values
            )

        return self._apply(request, Reforecast, write)

    @action(detail=True, methods=["post"])
    def achieve(self, request, pk=None):
        def write(milestone, version, values):
            milestone_achieve(
                milestone=milestone, expected_version=version, by=request.user, **values
            )

        return self._apply(request, Achieve, write)
