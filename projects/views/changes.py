"""Project section: changes."""

from __future__ import annotations

urlpatterns: list = []
