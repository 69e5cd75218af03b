"""Project section: raid."""

from __future__ import annotations

urlpatterns: list = []
