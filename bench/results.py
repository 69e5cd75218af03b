"""bench/results.json: one key per figure, shared by every benchmark script.

Each script merges its own keys and keeps everyone else's, so `seed_bench.py`, `run.py` and
the benchmarks later issues add can all write to the same file. Writes are atomic (a scratch
file renamed over the old one), so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def load(path: Path = RESULTS) -> dict[str, Any]:
    """The figures recorded so far (an empty dict when there is no file yet)."""
    return json.loads(path.read_text()) if path.exists() else {}


def merge(path: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `values` into the results file, keeping every other key; write atomically."""
    results = load(path)
    results.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(path.suffix + ".tmp")
    scratch.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    scratch.replace(path)
    return results


def record(path: Path, key: str, value: Any) -> dict[str, Any]:
    """Merge one figure into the results file (see `merge`)."""
    return merge(path, {key: value})
