"""Project section: costs."""

from __future__ import annotations

urlpatterns: list = []
