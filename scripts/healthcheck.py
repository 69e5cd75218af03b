"""Docker health check for the web container: exit 0 only when /healthz/ready answers 200.

Readiness (database and Redis), not the worker round trip: a web container cannot mend a dead
worker by restarting, and the worker has a health check of its own.

Run inside the container (python scripts/healthcheck.py [path]). It sends the first
ALLOWED_HOSTS entry as the Host header, so a deployment that only allows its public name still
passes, and HEALTHZ_TOKEN (when set) as a bearer token, so a failure prints which check failed.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(path: str = "/healthz/ready") -> int:
    first = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    host = first.lstrip(".") if first not in {"", "*"} else "localhost"
    port = os.environ.get("PORT", "8000")
    headers = {"Host": host}
    if token := os.environ.get("HEALTHZ_TOKEN", ""):
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(errors="replace")[:500], file=sys.stderr)
        return 1
    except OSError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
