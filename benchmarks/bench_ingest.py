"""Ingest throughput per source format: synthetic raw logs -> a fresh store, events per second.

    python benchmarks/bench_ingest.py                       # 1M records per format
    python benchmarks/bench_ingest.py --records 100000 --formats otel,litellm-csv
    python benchmarks/bench_ingest.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

Each raw file is written first (not timed), then ``tokencensus.ingest.pipeline.ingest`` runs
end to end: read, map, pseudonymize, validate, stage, deduplicate, commit.  "records" are the
raw records read (OTel: spans, 100 per export line; conversations: assistant replies, two per
conversation).  Prompt text exists only in the conversations data (language detection on every
reply, classification of the default 0.25 % sample).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tokencensus.ingest.pipeline import IngestOptions, ingest
from tokencensus.ingest.sources.base import SourceOptions

SALT = b"benchmark-salt-0123456789abcdef"
MODELS = [
    "openai/gpt-4o-mini",
    "anthropic/claude-3.7-sonnet",
    "google/gemini-2.5-flash",
    "deepseek/deepseek-chat-v3-0324",
    "meta-llama/llama-3.3-70b-instruct",
    "qwen/qwen-2.5-72b-instruct",
    "x-ai/grok-code-fast-1",
    "openai/gpt-4.1",
]
FINISH = ["stop", "stop", "stop", "length", "tool_calls"]
PROMPTS = [
    "Write a Python function that merges two sorted lists without using sort().",
    "Explique-moi la photosynthèse comme si j'avais dix ans.",
    "请把这段话翻译成英文：明天早上九点开会。",
    "¿Cuál es la diferencia entre un virus y una bacteria?",
    "Summarize the plot of Hamlet in three sentences.",
    "Напиши короткое стихотворение о зиме.",
]


def _ts(i: int, n: int) -> tuple[str, int]:
    """A timestamp spread over four weeks from 2025-05-05, and its epoch seconds."""
    seconds = 1746403200 + int(i * (28 * 86400) / n)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)), seconds


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")))
            fh.write("\n")


def _write_csv(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def gen_openrouter(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(1)

    def rows() -> Any:
        for i in range(n):
            ts, _ = _ts(i, n)
            p, c = rnd.randint(50, 20000), rnd.randint(10, 2000)
            yield {
                "id": f"gen-{i:09d}",
                "created_at": ts,
                "model": MODELS[i % 8],
                "external_user": f"u{rnd.randint(1, 5000)}",
                "tokens_prompt": p,
                "tokens_completion": c,
                "native_tokens_prompt": p,
                "native_tokens_completion": c,
                "native_tokens_reasoning": 0,
                "native_tokens_cached": 0,
                "total_cost": round(p * 1e-7 + c * 4e-7, 8),
                "finish_reason": FINISH[i % 5],
                "native_finish_reason": FINISH[i % 5],
                "provider_name": "Prov",
                "app_id": i % 50,
                "latency": rnd.randint(100, 3000),
                "generation_time": rnd.randint(500, 30000),
                "streamed": True,
                "cancelled": False,
                "is_byok": False,
                "origin": "",
                "api_type": "completions",
            }

    path = root / "generations.jsonl"
    _write_jsonl(path, rows())
    return path, {}


def gen_openrouter_csv(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(2)
    header = [
        "generation_id",
        "created_at",
        "cost_total",
        "cost_web_search",
        "cost_cache",
        "cost_file_processing",
        "byok_usage_inference",
        "tokens_prompt",
        "tokens_completion",
        "tokens_reasoning",
        "tokens_cached",
        "model_permaslug",
        "provider_name",
        "variant",
        "cancelled",
        "streamed",
        "user",
        "finish_reason_raw",
        "finish_reason_normalized",
        "generation_time_ms",
        "time_to_first_token_ms",
        "api_key_disabled",
        "api_key_name",
        "app_name",
    ]

    def rows() -> Any:
        for i in range(n):
            ts, _ = _ts(i, n)
            p, c = rnd.randint(50, 20000), rnd.randint(10, 2000)
            yield [
                f"gen-{i:09d}",
                ts.replace("T", " ").rstrip("Z") + ".000",
                p * 1e-7 + c * 4e-7,
                0,
                0,
                0,
                0,
                p,
                c,
                0,
                0,
                MODELS[i % 8],
                "Prov",
                "standard",
                "false",
                "true",
                f"u{rnd.randint(1, 5000)}",
                FINISH[i % 5],
                FINISH[i % 5],
                rnd.randint(500, 30000),
                rnd.randint(100, 3000),
                "false",
                "key",
                "app",
            ]

    path = root / "activity.csv"
    _write_csv(path, header, rows())
    return path, {}


def gen_litellm_csv(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(3)
    header = [
        "request_id",
        "call_type",
        "api_key",
        "spend",
        "total_tokens",
        "prompt_tokens",
        "completion_tokens",
        "startTime",
        "endTime",
        "request_duration_ms",
        "completionStartTime",
        "model",
        "model_group",
        "custom_llm_provider",
        "user",
        "metadata",
        "team_id",
        "end_user",
        "status",
        "response",
    ]

    def rows() -> Any:
        for i in range(n):
            ts, _ = _ts(i, n)
            t = ts.replace("T", " ").rstrip("Z")
            p, c = rnd.randint(50, 20000), rnd.randint(10, 2000)
            meta = json.dumps(
                {
                    "user_api_key_alias": "app",
                    "usage_object": {"prompt_tokens_details": {"cached_tokens": 0}},
                }
            )
            yield [
                f"req-{i:09d}",
                "acompletion",
                "hashedkey",
                p * 1e-7 + c * 4e-7,
                p + c,
                p,
                c,
                t,
                t,
                1200,
                t,
                MODELS[i % 8].split("/")[1],
                "group",
                "openai",
                f"u{rnd.randint(1, 5000)}",
                meta,
                "team",
                f"end-{rnd.randint(1, 5000)}",
                "success",
                json.dumps({"choices": [{"finish_reason": FINISH[i % 5]}]}),
            ]

    path = root / "spend_logs.csv"
    _write_csv(path, header, rows())
    return path, {}


def gen_langfuse(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(4)

    def rows() -> Any:
        for i in range(n):
            ts, _ = _ts(i, n)
            p, c = rnd.randint(50, 20000), rnd.randint(10, 2000)
            yield {
                "id": f"obs-{i:09d}",
                "traceId": f"t{i // 3}",
                "type": "GENERATION",
                "name": "chat",
                "startTime": ts,
                "endTime": ts,
                "model": MODELS[i % 8].split("/")[1],
                "userId": f"u{rnd.randint(1, 5000)}",
                "usageDetails": {"input": p, "output": c, "total": p + c},
                "costDetails": {"total": p * 1e-7 + c * 4e-7},
                "level": "DEFAULT",
                "metadata": {"finish_reason": FINISH[i % 5]},
            }

    path = root / "observations.jsonl"
    _write_jsonl(path, rows())
    return path, {}


def gen_otel(root: Path, n: int, per_line: int = 100) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(5)

    def attr(key: str, value: Any) -> dict[str, Any]:
        if isinstance(value, int):
            return {"key": key, "value": {"intValue": str(value)}}
        return {"key": key, "value": {"stringValue": value}}

    def rows() -> Any:
        for start in range(0, n, per_line):
            spans = []
            for i in range(start, min(n, start + per_line)):
                _, sec = _ts(i, n)
                spans.append(
                    {
                        "traceId": f"{i:032x}",
                        "spanId": f"{i:016x}",
                        "name": "chat",
                        "kind": 3,
                        "startTimeUnixNano": str(sec * 10**9),
                        "endTimeUnixNano": str((sec + 2) * 10**9),
                        "attributes": [
                            attr("gen_ai.operation.name", "chat"),
                            attr("gen_ai.provider.name", "openai"),
                            attr("gen_ai.request.model", MODELS[i % 8].split("/")[1]),
                            attr("gen_ai.usage.input_tokens", rnd.randint(50, 20000)),
                            attr("gen_ai.usage.output_tokens", rnd.randint(10, 2000)),
                            {
                                "key": "gen_ai.response.finish_reasons",
                                "value": {
                                    "arrayValue": {"values": [{"stringValue": FINISH[i % 5]}]}
                                },
                            },
                            attr("user.id", f"u{rnd.randint(1, 5000)}"),
                        ],
                        "status": {"code": 1},
                    }
                )
            yield {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [attr("service.name", "api")]},
                        "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}],
                    }
                ]
            }

    path = root / "spans.jsonl"
    _write_jsonl(path, rows())
    return path, {}


def gen_conversations(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(6)

    def rows() -> Any:
        for k in range(n // 2):
            ts, _ = _ts(2 * k, n)
            p1, p2 = PROMPTS[k % 6], PROMPTS[(k + 1) % 6]
            yield {
                "conversation_hash": f"c{k:09d}",
                "model": ["gpt-4o-mini", "gpt-4-0314", "gpt-3.5-turbo-0613"][k % 3],
                "timestamp": ts,
                "hashed_ip": f"ip{rnd.randint(1, 5000)}",
                "country": "United States",
                "language": "English",
                "conversation": [
                    {"role": "user", "content": p1},
                    {"role": "assistant", "content": "Sure. " + p1[::-1]},
                    {"role": "user", "content": p2},
                    {"role": "assistant", "content": "Here it is: " + p2},
                ],
            }

    path = root / "conversations.jsonl"
    _write_jsonl(path, rows())
    return path, {}


def gen_table(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    rnd = random.Random(7)

    def rows() -> Any:
        for i in range(n):
            ts, _ = _ts(i, n)
            yield [
                f"r{i:09d}",
                ts,
                f"u{rnd.randint(1, 5000)}",
                MODELS[i % 8],
                rnd.randint(50, 20000),
                rnd.randint(10, 2000),
                rnd.randint(1000, 90000000),
                "US",
            ]

    path = root / "table.csv"
    _write_csv(path, ["rid", "ts", "who", "model", "in", "out", "cost_nano", "country"], rows())
    mapping = root / "mapping.toml"
    mapping.write_text(
        '[columns]\nid = "rid"\ncreated_at = "ts"\nuser_id = "who"\nmodel = "model"\nprompt_tokens = "in"\n'
        'completion_tokens = "out"\ncost_usd = "cost_nano"\nbilling_country = "country"\n[scale]\ncost_usd = 1e-9\n',
        encoding="utf-8",
    )
    return path, {"mapping": mapping}


FORMATS: dict[str, tuple[str, Callable[[Path, int], tuple[Path, dict[str, Any]]]]] = {
    "openrouter": ("openrouter", gen_openrouter),
    "openrouter-csv": ("openrouter", gen_openrouter_csv),
    "litellm-csv": ("litellm", gen_litellm_csv),
    "langfuse": ("langfuse", gen_langfuse),
    "otel": ("otel", gen_otel),
    "conversations": ("conversations", gen_conversations),
    "table": ("table", gen_table),
}


def _postgres(url: str, csv_path: Path) -> str:
    """Load the LiteLLM CSV into a fresh LiteLLM_SpendLogs table; the URL to ingest from."""
    import psycopg

    from tokencensus.ingest.sources.litellm import SPEND_LOGS_COLUMNS

    cols = ", ".join(f'"{k}" {v}' for k, v in SPEND_LOGS_COLUMNS.items())
    with psycopg.connect(url) as conn:
        conn.execute('DROP TABLE IF EXISTS "LiteLLM_SpendLogs"')
        conn.execute(f'CREATE TABLE "LiteLLM_SpendLogs" ({cols}, PRIMARY KEY ("request_id"))')
        with csv_path.open(encoding="utf-8") as fh:
            header = ", ".join(f'"{c}"' for c in next(csv.reader(fh)))
        with (
            conn.cursor().copy(
                f'COPY "LiteLLM_SpendLogs" ({header}) FROM STDIN (FORMAT csv, HEADER true)'
            ) as copy,
            csv_path.open("rb") as fh,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        conn.execute('CREATE INDEX ON "LiteLLM_SpendLogs" ("startTime")')
    return url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument(
        "--postgres", help="also ingest LiteLLM_SpendLogs from this PostgreSQL server"
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON lines")
    args = parser.parse_args()
    names = [f.strip() for f in args.formats.split(",") if f.strip()]
    if args.postgres:
        names.append("litellm-postgres")
    print(
        f"# ingest throughput, {args.records:,} records per format, sample rate 0.25 %",
        file=sys.stderr,
    )
    print(f"{'format':<18}{'records':>12}{'added':>12}{'seconds':>10}{'events/s':>12}")
    for name in names:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            root = Path(tmp)
            if name == "litellm-postgres":
                csv_path, _ = gen_litellm_csv(root, args.records)
                spec, fmt, extra = _postgres(args.postgres, csv_path), "litellm", {"full": True}
            else:
                fmt, gen = FORMATS[name]
                path, extra = gen(root, args.records)
                spec = str(path)
            options = IngestOptions(salt=SALT, source=SourceOptions(**extra))
            t0 = time.perf_counter()
            summary = ingest(spec, fmt, root / "store", options)
            seconds = time.perf_counter() - t0
        rate = summary.read / seconds
        if args.json:
            print(
                json.dumps(
                    {
                        "format": name,
                        "records": summary.read,
                        "added": summary.added,
                        "seconds": round(seconds, 2),
                        "events_per_s": round(rate),
                    }
                )
            )
        else:
            print(
                f"{name:<18}{summary.read:>12,}{summary.added:>12,}{seconds:>10.1f}{rate:>12,.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
