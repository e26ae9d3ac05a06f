"""Chat datasets in the WildChat / LMSYS-Chat style: one record per conversation, with text.

Records (JSONL / JSON / Parquet): ``conversation_hash`` or ``conversation_id``, ``model``,
``timestamp`` (or ``tstamp``), ``hashed_ip``, ``country``, ``language`` and
``conversation``: the turns, each ``{role, content}`` (WildChat adds per-turn
``timestamp``, ``country``, ``language``, ``hashed_ip``).  Such data records no token
counts and no cost, so:

- every assistant reply is one event (one model call): id <- conversation id + ":" +
  reply number; created_at <- the reply's timestamp, else the user turn's, else the
  record's (a record without any is quarantined: LMSYS-Chat-1M has none);
- tokens are counted offline with quicktok (exact tiktoken-compatible BPE): the
  prompt of reply k is the whole history before it (every message's tokens + 3, plus
  3 to prime the reply -- OpenAI's chat accounting), the completion is the reply.
  Encoding by model family: o200k_base for gpt-4o / gpt-4.1 / gpt-5 / o1 / o3 / o4,
  o200k_harmony for gpt-oss, cl100k_base for gpt-4 / gpt-3.5, llama3 for Llama 3,
  qwen3 for Qwen; other models (Claude, Vicuna, ...) are counted with cl100k_base, an
  approximation within ~10-20 % of their own tokenizers;
- cost_usd is estimated from the catalog's list prices (0 for models without one);
- user_id <- hashed_ip (else user / user_id, else "(unknown)"); billing_country <-
  country (English names, e.g. "United States", or codes); the prompt text (the user
  message before the reply) feeds language detection, with the record's ``language``
  as a fallback; finish_reason is not recorded (null).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pyarrow.parquet as pq

from tokencensus.errors import MissingExtraError
from tokencensus.ingest.quarantine import FieldError, Rejection
from tokencensus.ingest.sources.base import (
    LANGUAGE_HINT,
    PROMPT_TEXT,
    TEXT_CHARS,
    UNKNOWN_USER,
    SourceBatch,
    SourceInput,
    SourceOptions,
    records_table,
)
from tokencensus.ingest.sources.files import BATCH, file_format, json_records, list_files

__all__ = ["NAME", "SHAPES", "encoding_for", "inputs", "read"]

NAME = "conversations"
SHAPES = ("wildchat", "lmsys-chat")
NATIVE = {"id": "conversation_hash", "created_at": "timestamp", "user_id": "hashed_ip"}
#: Tokens OpenAI's chat format adds per message, and to prime the reply.
PER_MESSAGE = 3
PER_REPLY = 3

_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("gpt-oss",), "o200k_harmony"),
    (("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4"), "o200k_base"),
    (("gpt-4", "gpt-3.5", "gpt-35", "text-davinci"), "cl100k_base"),
    (("llama-3", "llama3", "meta-llama-3"), "llama3"),
    (("qwen",), "qwen3"),
)


def encoding_for(model: str | None) -> str:
    """The quicktok encoding used to count a model's tokens (see the module docstring)."""
    name = (model or "").lower().rsplit("/", 1)[-1]
    for prefixes, encoding in _FAMILIES:
        if any(
            name == p
            or name.startswith((p + "-", p + ".", p + ":", p + "_"))
            or (p in ("qwen",) and name.startswith(p))
            for p in prefixes
        ):
            return encoding
    return "cl100k_base"


@cache
def _encoder(name: str) -> Any:
    try:
        import quicktok
    except ImportError:
        raise MissingExtraError(
            "Counting tokens of conversations", "conversations", "quicktok-v1"
        ) from None
    return quicktok.get_encoding(name)


def count_tokens(texts: list[str], encoding: str) -> list[int]:
    import quicktok

    if not texts:
        return []
    return [int(n) for n in quicktok.count_batch(_encoder(encoding), texts)]


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    files = list_files(spec, ("json", "parquet"), "conversation dataset")
    return [SourceInput(name=str(p), path=p) for p in files]


def _records(
    source: SourceInput,
) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], list[Rejection], str]]:
    assert source.path is not None
    if file_format(source.path) == "parquet":
        pf = pq.ParquetFile(source.path)
        pos = 1
        for batch in pf.iter_batches(batch_size=BATCH // 4):
            rows = batch.to_pylist()
            yield [(pos + i, r) for i, r in enumerate(rows)], [], "row"
            pos += len(rows)
        return
    yield from json_records(source.path, unwrap_data=False, batch=BATCH // 4)


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    for records, rejections, unit in _records(source):
        rejections = list(rejections)
        pending: list[dict[str, Any]] = []  # events with message indexes, tokens counted below
        skipped: dict[str, int] = {}
        texts: dict[str, list[str]] = {}
        for pos, rec in records:
            turns = rec.get("conversation")
            if not isinstance(turns, list):
                rejections.append(
                    Rejection(
                        str(source.path),
                        pos,
                        unit,
                        (
                            FieldError(
                                "conversation",
                                f"not a list of turns (found {type(turns).__name__})",
                            ),
                        ),
                        {k: v for k, v in rec.items() if k != "conversation"},
                    )
                )
                continue
            events = _events(rec, turns, pos)
            if not events:
                skipped["no assistant reply"] = skipped.get("no assistant reply", 0) + 1
                continue
            encoding = encoding_for(rec.get("model") if isinstance(rec.get("model"), str) else None)
            bucket = texts.setdefault(encoding, [])
            offset = len(bucket)
            bucket.extend(_text(t) for t in turns)
            for event in events:
                event["_encoding"], event["_offset"] = encoding, offset
            pending.extend(events)
        counts = {enc: count_tokens(values, enc) for enc, values in texts.items()}
        rows, positions = [], []
        for event in pending:
            n = counts[event.pop("_encoding")]
            offset = event.pop("_offset")
            reply = event.pop("_reply")
            history = n[offset : offset + reply]
            event["prompt_tokens"] = sum(history) + PER_MESSAGE * len(history) + PER_REPLY
            event["completion_tokens"] = n[offset + reply]
            positions.append(event.pop("_pos"))
            rows.append(event)
        yield SourceBatch(
            records_table(rows, positions),
            rejections,
            unit,
            native=NATIVE,
            skipped=skipped,
            shape="conversations",
            cost_from_prices=True,
        )


def _text(turn: Any) -> str:
    if not isinstance(turn, dict):
        return "" if turn is None else str(turn)
    content = turn.get("content")
    if content is None:
        return ""
    return content if isinstance(content, str) else str(content)


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None and v != "":
            return v
    return None


def _events(rec: dict[str, Any], turns: list[Any], pos: int) -> list[dict[str, Any]]:
    conv_id = _first(rec.get("conversation_hash"), rec.get("conversation_id"), rec.get("id"))
    events = []
    reply_no = 0
    last_user: dict[str, Any] = {}
    for k, turn in enumerate(turns):
        if not isinstance(turn, dict):
            continue
        role = str(turn.get("role", "")).lower()
        if role in ("user", "human"):
            last_user = turn
            continue
        if role not in ("assistant", "gpt", "bot", "model"):
            continue
        reply_no += 1
        prompt = _text(last_user)[:TEXT_CHARS] if last_user else None
        events.append(
            {
                "id": f"{conv_id}:{reply_no}" if conv_id is not None else None,
                "created_at": _first(
                    turn.get("timestamp"),
                    last_user.get("timestamp"),
                    rec.get("timestamp"),
                    rec.get("tstamp"),
                ),
                "user_id": _first(
                    last_user.get("hashed_ip"),
                    rec.get("hashed_ip"),
                    rec.get("user"),
                    rec.get("user_id"),
                )
                or UNKNOWN_USER,
                "model": rec.get("model"),
                "billing_country": _first(last_user.get("country"), rec.get("country")),
                LANGUAGE_HINT: _first(last_user.get("language"), rec.get("language")),
                PROMPT_TEXT: prompt or None,
                "_reply": k,
                "_pos": pos,
            }
        )
    return events
