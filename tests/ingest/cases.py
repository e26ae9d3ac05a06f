"""Adapter cases: a raw sample per format and where its expected canonical rows live.

``python -m tests.ingest.cases`` rewrites the expected files from the current code; review the
diff before committing it (user ids are written raw there and hashed by the tests).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tests.ingest.helpers import FIXTURES, quarantine, run_ingest
from tokencensus.store import Store


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str
    sample: str
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return FIXTURES / self.fmt / self.sample

    @property
    def expected(self) -> Path:
        return FIXTURES / self.fmt / (self.sample.split(".")[0] + ".expected.json")

    def options(self) -> dict[str, Any]:
        return {
            k: (FIXTURES / self.fmt / v if k in ("mapping", "traces") else v)
            for k, v in self.source.items()
        }


CASES = [
    Case("openrouter-generation", "openrouter", "generations.jsonl"),
    Case("openrouter-activity-csv", "openrouter", "activity.csv"),
    Case("openrouter-activity-api", "openrouter", "activity_api.json"),
    Case("openrouter-rankings", "openrouter", "rankings-2025-11-30.json"),
    Case("litellm-csv", "litellm", "spend_logs.csv"),
    Case("langfuse", "langfuse", "observations.jsonl", {"traces": "traces.jsonl"}),
    Case("otel", "otel", "spans.jsonl"),
    Case("conversations", "conversations", "wildchat.jsonl"),
    Case("table", "table", "helicone.csv", {"mapping": "mapping.toml"}),
]


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def observed(case: Case, store: Path) -> dict[str, Any]:
    """What ingesting a case produced, in the expected-file layout."""
    summary = run_ingest(case.path, case.fmt, store, **case.options())
    st = Store.open(store)
    rows = {}
    for table in ("events", "aggregates"):
        key = "id" if table == "events" else "key"
        data = sorted(st.read(table).to_pylist(), key=lambda r: r[key])
        rows[table] = [{k: _plain(v) for k, v in r.items()} for r in data]
    rejected = [
        {
            "position": q.get("line", q.get("row", q.get("item"))),
            "field": q["field"],
            "reason": q["reason"],
        }
        for q in quarantine(store)
    ]
    return {
        "events": rows["events"],
        "aggregates": rows["aggregates"],
        "quarantine": sorted(rejected, key=lambda r: (r["position"], r["field"])),
        "not_generations": summary.not_generations,
    }


def main() -> None:  # pragma: no cover - maintenance script
    import tokencensus.ingest.pipeline as pipeline

    pipeline.pseudonymize = lambda values, salt: values  # expected files keep raw user ids
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            result = observed(case, Path(tmp) / "store")
        case.expected.write_text(
            json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"wrote {case.expected}", file=sys.stderr)


if __name__ == "__main__":
    main()
