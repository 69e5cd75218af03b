"""Project section: status."""

from __future__ import annotations

urlpatterns: list = []
