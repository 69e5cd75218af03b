"""(h) The API's list endpoint at the large size, against the floor of a bare JSON view.

- `api_list_p95_ms` / `api_list_rps`: `GET /api/v1/projects/?page_size=50` as the director
  (7,500 projects in scope), through Django's test Client in this process (middleware, token
  authentication, scope, filters, the cursor page, serializers, JSON), one request after
  another: p95 of REQUESTS timed requests, and requests per second over them.
- `api_values_rps`: the same 50 rows' fields, scoped the same way, as one
  `.values()` query dumped with JsonResponse by a view that exists only here
  (`bench/api_urls.py` adds it beside the app's URLs): the floor DRF is measured against.
- `api_ratio`: api_list_rps / api_values_rps (target ≥ 0.5).
- `api_queries_page50` / `api_queries_page10`: the list's SQL queries at 50 and at 10 rows
  (target: equal).
Both run with a token (as an integration would), DEBUG off, alternating in rounds so a
machine's slow minute falls on both.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.phases import DASHBOARD_USER
from bench.report import percentile

REQUESTS = 200
ROUNDS = 4
PAGE = 50


def _token(user) -> tuple[str, Any]:
    from ppm.accounts.tokens import api_token_create

    now = timezone.now()
    made = api_token_create(
        owner=user, name=f"bench {now:%H%M%S%f}", expires_at=now + timedelta(hours=1), now=now
    )
    return made.secret, made.token


def _timed(get, count: int) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        get()
        times.append(time.perf_counter() - began)
    return times


def measure_api(*, requests: int = REQUESTS) -> dict[str, Any]:
    from django.conf import settings

    user = get_user_model().objects.get(username=DASHBOARD_USER)
    secret, token = _token(user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    try:
        with override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            ROOT_URLCONF="bench.api_urls",
            API_RATE_TOKEN="1000000/min",  # noqa: S106 - a rate, not a password
        ):
            client = Client()

            def getter(url):
                def get():
                    response = client.get(url, secure=True, **headers)
                    if response.status_code != 200:
                        raise RuntimeError(f"GET {url} answered {response.status_code}")
                    return response

                return get

            api = getter(f"/api/v1/projects/?page_size={PAGE}")
            floor = getter(f"/bench/values/?page_size={PAGE}")
            if len(api().json()["results"]) != PAGE or len(floor().json()) != PAGE:
                raise RuntimeError(f"a page did not hold {PAGE} projects")
            for get in (api, floor):
                _timed(get, 10)  # warm-up
            api_times, floor_times = [], []
            for _ in range(ROUNDS):
                api_times += _timed(api, requests // ROUNDS)
                floor_times += _timed(floor, requests // ROUNDS)
            queries = {}
            for size in (PAGE, 10):
                with CaptureQueriesContext(connection) as captured:
                    getter(f"/api/v1/projects/?page_size={size}")()
                queries[size] = len(captured.captured_queries)
    finally:
        token.delete()
    api_rps = len(api_times) / sum(api_times)
    floor_rps = len(floor_times) / sum(floor_times)
    return {
        "api_list_p50_ms": round(percentile(api_times, 50) * 1000, 1),
        "api_list_p95_ms": round(percentile(api_times, 95) * 1000, 1),
        "api_list_mean_ms": round(statistics.fmean(api_times) * 1000, 1),
        "api_list_rps": round(api_rps, 1),
        "api_values_p95_ms": round(percentile(floor_times, 95) * 1000, 1),
        "api_values_rps": round(floor_rps, 1),
        "api_ratio": round(api_rps / floor_rps, 2),
        "api_queries_page50": queries[PAGE],
        "api_queries_page10": queries[10],
    }
