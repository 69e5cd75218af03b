"""A checked preview kept on the server until its user applies it, behind a token.

The preview page carries only the token, so the plan is not uploaded twice (a plan may be
20 MB). What is kept is the preview the user saw, which apply_milestones writes as it is, and
the file itself, compressed: when the project's milestones changed in between, the plan is
checked again against them and the new preview shown. A token belongs to one user and one
project, is applied once, and expires; only a user's newest check per project is kept (Redis
runs with noeviction: a user checking plans in a loop holds one, not one per upload).
"""

from __future__ import annotations

import secrets
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from projects.imports.mspdi.milestones import MilestonePreview, MilestoneRow, RowAction
from projects.models import Project
from projects.services import DomainError

KEPT_SECONDS = 60 * 60
_FORMAT = 1  # of what is kept; a preview kept by another version of this code is not read
_KEY = "mspdi-import:{}"
_LATEST = "mspdi-import-latest:{}:{}"  # project, user → their newest token


@dataclass(frozen=True)
class MilestoneImportKept:
    """A checked plan as it was previewed: the preview, and the file with the option it was
    checked with (to check it again if the milestones changed since)."""

    preview: MilestonePreview
    data: bytes
    summaries_as_milestones: bool
    file_name: str


def milestone_import_keep(
    *,
    project: Project,
    user,
    preview: MilestonePreview,
    data: bytes,
    summaries_as_milestones: bool,
    file_name: str,
) -> str:
    """Keep a checked preview for KEPT_SECONDS, in place of the user's previous one for the
    project; the token that applies it."""
    milestone_import_forget(project=project, user=user)
    token = secrets.token_urlsafe(32)
    cache.set(
        _KEY.format(token),
        {
            "format": _FORMAT,
            "project": project.pk,
            "user": user.pk,
            "preview": _preview_as_data(preview),
            "data": zlib.compress(data, 1),
            "summaries": summaries_as_milestones,
            "file_name": file_name,
        },
        KEPT_SECONDS,
    )
    cache.set(_LATEST.format(project.pk, user.pk), token, KEPT_SECONDS)
    return token


def milestone_import_forget(*, project: Project, user) -> None:
    """Drop the user's kept preview for the project (a newer check replaces it, even one that
    cannot be applied: only the preview on the user's screen can be)."""
    latest = _LATEST.format(project.pk, user.pk)
    previous = cache.get(latest)
    if previous:
        cache.delete_many([_KEY.format(previous), latest])


def milestone_import_take(*, token: str, project: Project, user) -> MilestoneImportKept:
    """The checked preview behind `token`, taken out of the cache: a token is applied once.

    Another user's token, or one for another project, is PermissionDenied (and stays its
    owner's). A token that is not (or no longer) kept is a DomainError telling the user to
    check the plan again.
    """
    key = _KEY.format(token)
    kept = cache.get(key)
    if isinstance(kept, dict) and (kept.get("project"), kept.get("user")) != (project.pk, user.pk):
        raise PermissionDenied(
            "This checked plan is not yours, or was checked for another project, so it cannot "
            "be imported here. Upload the plan on this page to check it yourself."
        )
    # delete() says whether the key was there: of two concurrent applies, one gets it.
    if not isinstance(kept, dict) or not cache.delete(key) or kept.get("format") != _FORMAT:
        raise _no_longer_kept()
    try:
        return MilestoneImportKept(
            preview=_preview_from_data(kept["preview"]),
            data=zlib.decompress(kept["data"]),
            summaries_as_milestones=bool(kept["summaries"]),
            file_name=str(kept["file_name"]),
        )
    except (KeyError, TypeError, ValueError, zlib.error):
        raise _no_longer_kept() from None


def _no_longer_kept() -> DomainError:
    return DomainError(
        f"The checked plan is no longer kept (a plan is kept for {KEPT_SECONDS // 60} minutes "
        "after it is checked, and only your latest for this project), so nothing was "
        "imported. Upload it again.",
        field="file",
    )


def _preview_as_data(preview: MilestonePreview) -> dict[str, Any]:
    """The preview as plain values: nothing kept depends on this code's classes."""
    data = asdict(preview)
    for row in data["rows"]:
        row["action"] = str(row["action"])
    return data


def _preview_from_data(data: dict[str, Any]) -> MilestonePreview:
    rows = [MilestoneRow(**{**row, "action": RowAction(row["action"])}) for row in data["rows"]]
    return MilestonePreview(**{**data, "rows": rows})
