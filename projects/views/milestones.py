"""Project section: milestones."""

from __future__ import annotations

urlpatterns: list = []
