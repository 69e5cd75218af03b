"""Project section: lessons."""

from __future__ import annotations

urlpatterns: list = []
