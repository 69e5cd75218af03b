"""The toggles of a what-if, read from and written back to the query string."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from governance.lifecycle import RebalanceAction
from ppm.params import parse_id, parse_int


@dataclass
class WhatIf:
    """The toggles of a what-if, from the query string: `act-<project id>=defer|cancel|resume`
    and the version each toggled project had when it was first toggled (`v-<project id>`)."""

    actions: dict[int, str] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: QueryDict) -> WhatIf:
        actions: dict[int, str] = {}
        versions: dict[int, int] = {}
        for key, value in query.items():
            prefix, _, ident = key.partition("-")
            pk = parse_id(ident)
            if pk is None:
                continue  # not a toggle of ours (or an id no project can have): ignored
            if prefix == "act" and value in RebalanceAction.values and value != "keep":
                actions[pk] = value
            elif prefix == "v" and (version := parse_int(value, min_value=0)) is not None:
                versions[pk] = version
        return cls(actions=actions, versions={k: v for k, v in versions.items() if k in actions})

    def query(self, **extra: object) -> str:
        """The what-if as a query string (changed projects only), plus `extra` parameters."""
        params = QueryDict(mutable=True)
        for key, value in extra.items():
            if value not in (None, ""):
                params[key] = str(value)
        for pk in sorted(self.actions):
            params[f"act-{pk}"] = self.actions[pk]
            if pk in self.versions:
                params[f"v-{pk}"] = str(self.versions[pk])
        return params.urlencode()
