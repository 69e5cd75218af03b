"""Conductor's REST API, /api/v1/: Django REST Framework views, authenticated by a personal
API token (`Authorization: Bearer cnd_…`, ppm.api.auth) or by the browser's session.

What a caller may read or change is decided as for the pages, by ppm.access; the API adds no
rule of its own. The tokens themselves are made and revoked by their owners on the account
pages (ppm.accounts.tokens).
"""
