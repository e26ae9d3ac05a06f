#!/usr/bin/env python3
"""Rebuild the shipped model catalog ``src/tokencensus/catalog/data/models.csv``.

Inputs (facts only; see ``src/tokencensus/catalog/data/README.md`` for licences):

1. the OpenRouter ``/api/v1/models`` snapshot (ids, permaslugs, Hugging Face ids, dates, prices);
2. Epoch AI's "Notable AI Models" CSV (parameters, accessibility, country, publication date);
3. the ``genai-prices`` package (list prices, offline) for models the snapshot lacks;
4. ``tools/catalog_curated.csv``: hand-curated rows in the catalog's own columns.  A row whose
   slug is already known overrides the cells it fills (``-`` clears a cell; ``aliases`` are
   *added*); a new slug adds a model (retired or post-snapshot).  Lines starting with ``#`` are
   comments.

The output is deterministic (rows sorted by slug).  Run from the repository root::

    python tools/build_catalog.py            # writes the CSV, prints a summary
    python tools/build_catalog.py --check    # also resolves every weekly-top10 slug
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from tokencensus.catalog import CATALOG_COLUMNS, _candidates, size_class

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared/data")
DEFAULT_SNAPSHOT = SHARED / "openrouter-models-catalog/2025-12-30/openrouter.json"
DEFAULT_EPOCH = SHARED / "epoch-notable-models/notable-ai-models.csv"
DEFAULT_TOP10 = SHARED / "openrouter-weekly-top10"
DEFAULT_CURATED = ROOT / "tools/catalog_curated.csv"
DEFAULT_OUT = ROOT / "src/tokencensus/catalog/data/models.csv"

#: Routers and meta-endpoints: not models, left out of the catalog.
EXCLUDE = {"openrouter/auto", "openrouter/bodybuilder", "switchpoint/router"}
ROUTING_SUFFIX = re.compile(r":(free|beta|extended|nitro|floor|online|exacto)$")
#: Date up to which every open-weights row must state its size (the study window + a month).
PARAMS_REQUIRED_UNTIL = date(2025, 12, 31)
SOURCE_OF = {
    "open_weights": "open_weights_source",
    "origin": "origin_source",
    "params_b": "params_source",
    "reasoning": "reasoning_source",
    "release_date": "release_source",
    "prompt_usd_per_m": "price_source",
}

#: OpenRouter namespace -> (author label, origin).  Labels follow the paper where it names the
#: author (T1, F20, F22-F23, F28).  Origin is the country of the organisation that *released*
#: the model (fine-tunes and merges included): china = mainland China, Hong Kong or Taiwan.
# fmt: off
AUTHORS: dict[str, tuple[str, str]] = {
    "01-ai": ("01.AI", "china"), "aetherwiing": ("Aetherwiing", "row"),
    "agentica-org": ("Agentica", "row"), "ai21": ("AI21", "row"),
    "aion-labs": ("AionLabs", "row"), "alfredpros": ("AlfredPros", "row"),
    "alibaba": ("Alibaba", "china"), "all-hands": ("All Hands AI", "row"),
    "allenai": ("AllenAI", "row"), "alpindale": ("Alpindale", "row"),
    "amazon": ("Amazon", "row"), "anthracite-org": ("Anthracite", "row"),
    "anthropic": ("Anthropic", "row"), "arcee-ai": ("Arcee AI", "row"),
    "arliai": ("ArliAI", "row"), "baidu": ("Baidu", "china"),
    "bytedance": ("ByteDance", "china"), "bytedance-research": ("ByteDance", "china"),
    "bytedance-seed": ("ByteDance", "china"),
    "cognitivecomputations": ("Cognitive Computations", "row"), "cohere": ("Cohere", "row"),
    "databricks": ("Databricks", "row"), "intel": ("Intel", "row"),
    "koboldai": ("KoboldAI", "row"), "lizpreciatior": ("lizpreciatior", "row"),
    "snowflake": ("Snowflake", "row"), "teknium": ("Teknium", "row"),
    "deepcogito": ("Deep Cogito", "row"), "deepseek": ("DeepSeek", "china"),
    "eleutherai": ("EleutherAI", "row"), "essentialai": ("Essential AI", "row"),
    "eva-unit-01": ("EVA-UNIT-01", "row"), "featherless": ("Featherless", "row"),
    "google": ("Google", "row"), "gryphe": ("Gryphe", "row"),
    "huggingfaceh4": ("Hugging Face", "row"), "ibm-granite": ("IBM", "row"),
    "inception": ("Inception", "row"), "infermatic": ("Infermatic", "row"),
    "inflection": ("Inflection", "row"), "jondurbin": ("Jon Durbin", "row"),
    "kwaipilot": ("Kwaipilot", "china"), "latitudegames": ("Latitude", "row"),
    "liquid": ("Liquid AI", "row"), "mancer": ("Mancer", "row"),
    "meituan": ("Meituan", "china"), "meta-llama": ("Meta LLaMA", "row"),
    "microsoft": ("Microsoft", "row"), "minimax": ("Minimax", "china"),
    "mistralai": ("Mistral AI", "row"), "moonshotai": ("MoonshotAI", "china"),
    "morph": ("Morph", "row"), "neversleep": ("NeverSleep", "row"),
    "nex-agi": ("Nex AGI", "china"), "nothingiisreal": ("Nothing Is Real", "row"),
    "nousresearch": ("Nous Research", "row"), "nvidia": ("NVIDIA", "row"),
    "open-r1": ("Hugging Face", "row"), "openai": ("OpenAI", "row"),
    "openchat": ("OpenChat", "row"), "opengvlab": ("OpenGVLab", "china"),
    "perplexity": ("Perplexity", "row"), "prime-intellect": ("Prime Intellect", "row"),
    "pygmalionai": ("PygmalionAI", "row"), "qwen": ("Qwen", "china"),
    "raifle": ("rAIfle", "row"), "rekaai": ("Reka", "row"), "relace": ("Relace", "row"),
    "sao10k": ("Sao10K", "row"), "scb10x": ("SCB 10X", "row"),
    "shisa-ai": ("Shisa AI", "row"), "sophosympatheia": ("Sophosympatheia", "row"),
    "stepfun": ("StepFun", "china"), "stepfun-ai": ("StepFun", "china"),
    "tencent": ("Tencent", "china"), "thedrummer": ("TheDrummer", "row"),
    "thudm": ("Z-AI", "china"), "tngtech": ("TNGTech", "row"),
    "undi95": ("Undi95", "row"), "x-ai": ("xAI", "row"), "xiaomi": ("Xiaomi", "china"),
    "xwin-lm": ("Xwin-LM", "row"), "z-ai": ("Z-AI", "china"),
}
# fmt: on

#: Catalog slug -> Epoch AI "Model" name (only models that are the same release).
EPOCH_MODELS: dict[str, str] = {
    "01-ai/yi-large": "Yi-Large",
    "ai21/jamba-1-5-large": "Jamba 1.5-Large",
    "alibaba/tongyi-deepresearch-30b-a3b": "Tongyi DeepResearch",
    "allenai/olmo-3-32b-think": "Olmo 3",
    "amazon/nova-pro-v1": "Amazon Nova Pro",
    "anthropic/claude-2": "Claude 2",
    "anthropic/claude-2.1": "Claude 2.1",
    "anthropic/claude-3-opus": "Claude 3 Opus",
    "anthropic/claude-3-sonnet": "Claude 3 Sonnet",
    "anthropic/claude-3.5-sonnet-20240620": "Claude 3.5 Sonnet",
    "anthropic/claude-3.7-sonnet": "Claude 3.7 Sonnet",
    "anthropic/claude-haiku-4.5": "Claude Haiku 4.5",
    "anthropic/claude-opus-4": "Claude Opus 4",
    "anthropic/claude-opus-4.1": "Claude Opus 4.1",
    "anthropic/claude-opus-4.5": "Claude Opus 4.5",
    "anthropic/claude-sonnet-4": "Claude Sonnet 4",
    "anthropic/claude-sonnet-4.5": "Claude Sonnet 4.5",
    "baidu/ernie-4.5-vl-424b-a47b": "ERNIE-4.5-VL-424B-A47B (文心大模型4.5)",
    "databricks/dbrx-instruct": "DBRX",
    "deepseek/deepseek-chat": "DeepSeek-V3",
    "deepseek/deepseek-chat-v2.5": "DeepSeek-V2.5",
    "deepseek/deepseek-coder": "DeepSeek-Coder-V2 236B",
    "deepseek/deepseek-r1": "DeepSeek-R1",
    "deepseek/deepseek-r1-0528": "DeepSeek-R1 (May 2025)",
    "google/gemini-2.5-pro-preview-03-25": "Gemini 2.5 Pro (Mar 2025)",
    "google/gemini-2.5-pro-preview-05-06": "Gemini 2.5 Pro (May 2025)",
    "google/gemini-2.5-pro-preview": "Gemini 2.5 Pro (Jun 2025)",
    "google/gemini-3-pro-preview": "Gemini 3 Pro",
    "google/gemini-pro-1.5": "Gemini 1.5 Pro",
    "inception/mercury-coder": "Mercury",
    "meituan/longcat-flash-chat": "LongCat-Flash",
    "meta-llama/llama-2-70b-chat": "Llama 2-70B",
    "meta-llama/llama-3-70b-instruct": "Llama 3-70B",
    "meta-llama/llama-3.1-405b-instruct": "Llama 3.1-405B",
    "meta-llama/llama-3.2-11b-vision-instruct": "Llama 3.2 11B",
    "meta-llama/llama-3.3-70b-instruct": "Llama 3.3 70B",
    "meta-llama/llama-4-maverick": "Llama 4 Maverick",
    "meta-llama/llama-4-scout": "Llama 4 Scout",
    "minimax/minimax-m2": "MiniMax-M2",
    "mistralai/mistral-large-2407": "Mistral Large 2",
    "mistralai/mixtral-8x7b-instruct": "Mixtral 8x7B",
    "mistralai/pixtral-large-2411": "Pixtral Large",
    "moonshotai/kimi-k2": "Kimi K2",
    "moonshotai/kimi-k2-thinking": "Kimi K2 Thinking",
    "nvidia/nemotron-4-340b-instruct": "Nemotron-4 340B",
    "openai/gpt-4-1106-preview": "GPT-4 Turbo (Nov 2023)",
    "openai/gpt-4-turbo": "GPT-4 Turbo (Apr 2024)",
    "openai/gpt-4.5-preview": "GPT-4.5",
    "openai/gpt-4o-2024-05-13": "GPT-4o (May 2024)",
    "openai/gpt-4o-2024-08-06": "GPT-4o (Aug 2024)",
    "openai/gpt-4o-2024-11-20": "GPT-4o (Nov 2024)",
    "openai/gpt-4o-mini": "GPT-4o mini",
    "openai/gpt-5": "GPT-5",
    "openai/gpt-5-mini": "GPT-5 mini",
    "openai/gpt-5-nano": "GPT-5 nano",
    "openai/gpt-5.1": "GPT-5.1",
    "openai/gpt-5.1-chat": "GPT-5.1 Instant",
    "openai/gpt-5.1-codex": "GPT-5.1-Codex",
    "openai/gpt-5.1-codex-max": "GPT-5.1-Codex-Max",
    "openai/gpt-oss-120b": "gpt-oss-120b",
    "openai/gpt-oss-20b": "gpt-oss-20b",
    "openai/o1": "o1",
    "openai/o1-mini": "o1-mini",
    "openai/o1-preview": "o1-preview",
    "openai/o3-mini": "o3-mini",
    "qwen/qwen-2-72b-instruct": "Qwen2-72B",
    "qwen/qwen-2.5-72b-instruct": "Qwen2.5 Instruct (72B)",
    "qwen/qwen3-235b-a22b": "Qwen3-235B-A22B",
    "qwen/qwen3-235b-a22b-2507": "Qwen3-235B-A22B-Instruct (Jul 2025)",
    "qwen/qwen3-235b-a22b-thinking-2507": "Qwen3-235B-A22B-Thinking (Jul 2025)",
    "qwen/qwen3-coder": "Qwen3-Coder-480B-A35B",
    "qwen/qwen3-max": "Qwen3-Max",
    "qwen/qwq-32b": "QwQ-32B",
    "x-ai/grok-4": "Grok 4",
    "x-ai/grok-4.1-fast": "Grok 4.1 Fast",
    "z-ai/glm-4.5": "GLM-4.5",
    "z-ai/glm-4.6": "GLM-4.6",
    "z-ai/glm-4.7": "GLM-4.7",
}
CHINA = {"China", "Hong Kong", "Taiwan"}
NUMERIC = ("params_b", "active_params_b", "prompt_usd_per_m", "completion_usd_per_m")


def num(value: Decimal) -> str:
    """A plain decimal string: no exponent, no trailing zeros."""
    text = format(value.quantize(Decimal("0.000001")).normalize(), "f")
    return "0" if text in {"-0", ""} else text


def blank_row(slug: str) -> dict[str, str]:
    row = dict.fromkeys(CATALOG_COLUMNS, "")
    row["slug"] = slug
    return row


def read_snapshot(path: Path) -> tuple[dict[str, dict[str, str]], set[str], str]:
    """Rows from the OpenRouter snapshot, the slugs that advertise 'reasoning', and the tag."""
    tag = f"openrouter-{path.parent.name}"
    entries = json.loads(path.read_text(encoding="utf-8"))["data"]
    rows: dict[str, dict[str, str]] = {}
    reasoning_param: set[str] = set()
    for entry in sorted(entries, key=lambda e: (ROUTING_SUFFIX.sub("", e["id"]), e["id"])):
        slug = ROUTING_SUFFIX.sub("", entry["id"])
        if slug in EXCLUDE:
            continue
        is_free = entry["id"].endswith(":free")
        row = rows.get(slug)
        if row is None:
            row = rows[slug] = blank_row(slug)
            canonical = entry["canonical_slug"]
            if slug.endswith(":thinking") and not canonical.endswith(":thinking"):
                canonical += ":thinking"
                row["variant_of"] = slug.removesuffix(":thinking")
            hf = entry.get("hugging_face_id") or ""
            row["_auto_aliases"] = "|".join(a for a in (canonical, hf) if a)
            row["open_weights"] = "true" if hf else "false"
            row["open_weights_source"] = f"hf:{hf}" if hf else tag
            created = datetime.fromtimestamp(entry["created"], tz=timezone.utc).date()
            row["release_date"] = created.isoformat()
            row["release_source"] = f"{tag}:created"
        if "reasoning" in entry.get("supported_parameters", []):
            reasoning_param.add(slug)
        # Name and list price come from the plain id, else from the first routing variant.
        if entry["id"] == slug or not row["name"]:
            row["name"] = re.sub(r" \((free|exacto|extended)\)$", "", entry["name"]).strip()
            pricing = entry["pricing"]
            row["prompt_usd_per_m"] = num(Decimal(pricing["prompt"]) * 1_000_000)
            row["completion_usd_per_m"] = num(Decimal(pricing["completion"]) * 1_000_000)
            row["price_source"] = f"{tag}:free" if is_free else tag
    return rows, reasoning_param, tag


def apply_epoch(rows: dict[str, dict[str, str]], path: Path) -> None:
    """Accessibility, country, parameters (open models only) and date from Epoch AI."""
    with path.open(encoding="utf-8", newline="") as fh:
        epoch = {r["Model"].strip(): r for r in csv.DictReader(fh)}
    for slug, model in EPOCH_MODELS.items():
        row, rec = rows.get(slug), epoch.get(model)
        if row is None or rec is None:
            sys.exit(
                f"Epoch mapping {slug!r} -> {model!r}: {'slug' if row is None else 'model'} not found."
            )
        is_open = rec["Model accessibility"].startswith("Open weights")
        hf_says = row["open_weights_source"].startswith("hf:")
        if hf_says and (row["open_weights"] == "true") != is_open:
            print(
                f"note: {slug}: open_weights {row['open_weights']} but Epoch says "
                f"{rec['Model accessibility']!r}",
                file=sys.stderr,
            )
        if not hf_says:
            row["open_weights"], row["open_weights_source"] = str(is_open).lower(), "epoch-ai"
        countries = {c.strip() for c in rec["Country (of organization)"].split(",") if c.strip()}
        if countries:
            row["origin"] = "china" if countries <= CHINA else "row"
            row["origin_source"] = "epoch-ai"
        if is_open and rec["Parameters"]:
            row["params_b"] = num(Decimal(rec["Parameters"]) / 1_000_000_000)
            row["params_source"] = "epoch-ai"
        row["release_date"], row["release_source"] = rec["Publication date"][:10], "epoch-ai"


def read_curated(path: Path) -> list[dict[str, str]]:
    text = "".join(line for line in path.open(encoding="utf-8") if not line.startswith("#"))
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CATALOG_COLUMNS:
        sys.exit(f"{path}: header must be exactly {','.join(CATALOG_COLUMNS)}")
    return [{k: (v or "").strip() for k, v in r.items()} for r in reader]


def apply_curated(rows: dict[str, dict[str, str]], curated: list[dict[str, str]]) -> set[str]:
    """Override/add rows; returns the slugs whose reasoning flag the curated file decides."""
    decided: set[str] = set()
    for cur in curated:
        slug = cur["slug"]
        row = rows.setdefault(slug, blank_row(slug))
        for col, value in cur.items():
            if col == "slug" or not value:
                continue
            if col == "aliases":
                row["_curated_aliases"] = value
            elif col == "params_source" and not cur["params_b"] and row[col] == "epoch-ai":
                row[col] = f"epoch-ai+{value}"  # total from Epoch, active count from `value`
            else:
                row[col] = "" if value == "-" else value
        if cur["reasoning"]:
            decided.add(slug)
    return decided


def genai_prices() -> tuple[dict[str, tuple[Decimal, Decimal]], str]:
    """OpenRouter list prices per 1M tokens from genai-prices, keyed by every id it matches."""
    from genai_prices.data import providers

    def ids(clause: object) -> list[str]:
        if hasattr(clause, "equals"):
            return [clause.equals]
        return [i for sub in getattr(clause, "or_", []) for i in ids(sub)]

    prices: dict[str, tuple[Decimal, Decimal]] = {}
    for provider in providers:
        if provider.id != "openrouter":
            continue
        for model in provider.models:
            price = model.prices if not isinstance(model.prices, list) else model.prices[-1].prices
            inp, out = (getattr(p, "base", p) for p in (price.input_mtok, price.output_mtok))
            if inp is None or out is None:
                continue
            for i in ids(model.match):
                prices.setdefault(i.lower(), (Decimal(inp), Decimal(out)))
    return prices, f"genai-prices-{metadata.version('genai-prices')}"


def finish(
    rows: dict[str, dict[str, str]], reasoning_param: set[str], decided: set[str], tag: str
) -> list[str]:
    """Fill defaults, prices and aliases; return the list of problems."""
    problems: list[str] = []
    undecided = sorted((reasoning_param & rows.keys()) - decided)
    problems += [
        f"{s}: advertises 'reasoning' on OpenRouter; decide the flag in curated" for s in undecided
    ]
    prices, genai_tag = genai_prices()
    for slug, row in rows.items():
        author = AUTHORS.get(slug.split("/", 1)[0])
        if author and not row["author"]:
            row["author"] = author[0]
        if author and not row["origin"]:
            row["origin"], row["origin_source"] = author[1], "author-hq"
        if not row["reasoning"] and slug not in reasoning_param and "_auto_aliases" in row:
            row["reasoning"], row["reasoning_source"] = "false", f"{tag}:no-reasoning-param"
        if not row["prompt_usd_per_m"] and not row["price_source"]:
            keys = [slug, *row.get("_curated_aliases", "").split("|")]
            hit = next((prices[k.lower()] for k in keys if k and k.lower() in prices), None)
            if hit:
                row["prompt_usd_per_m"], row["completion_usd_per_m"] = num(hit[0]), num(hit[1])
                row["price_source"] = genai_tag
    for row in rows.values():
        for col in NUMERIC:
            row[col] = num(Decimal(row[col])) if row[col] else ""
    owner: dict[str, str] = {s.lower(): s for s in rows}
    for slug in sorted(rows):  # curated aliases first: they must be unique
        for alias in filter(None, rows[slug].get("_curated_aliases", "").split("|")):
            if owner.setdefault(alias.lower(), slug) != slug:
                problems.append(f"{slug}: alias {alias!r} already names {owner[alias.lower()]!r}")
    for slug in sorted(rows):
        row = rows[slug]
        keep = [a for a in row.get("_curated_aliases", "").split("|") if a]
        for alias in filter(None, row.get("_auto_aliases", "").split("|")):
            reachable = slug.lower() in _candidates(alias.lower())
            if reachable or owner.setdefault(alias.lower(), slug) != slug:
                continue
            keep.append(alias)
        seen: set[str] = set()
        row["aliases"] = "|".join(a for a in keep if not (a.lower() in seen or seen.add(a.lower())))
    for slug, row in rows.items():
        problems += validate(slug, row, rows)
    return problems


def validate(slug: str, row: dict[str, str], rows: dict[str, dict[str, str]]) -> list[str]:
    out = [
        f"{slug}: empty {c}"
        for c in ("name", "author", "open_weights", "origin", "reasoning", "release_date")
        if not row[c]
    ]
    out += [
        f"{slug}: {fact} without {src}"
        for fact, src in SOURCE_OF.items()
        if row[fact] and not row[src]
    ]
    released = date.fromisoformat(row["release_date"]) if row["release_date"] else None
    if (
        row["open_weights"] == "true"
        and not row["params_b"]
        and (released is None or released <= PARAMS_REQUIRED_UNTIL)
    ):
        out.append(f"{slug}: open weights but no params_b")
    if row["variant_of"] and row["variant_of"] not in rows:
        out.append(f"{slug}: variant_of {row['variant_of']!r} is not a catalog slug")
    if bool(row["prompt_usd_per_m"]) != bool(row["completion_usd_per_m"]):
        out.append(f"{slug}: only one of the two prices")
    return out


def write(rows: dict[str, dict[str, str]], out: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=CATALOG_COLUMNS, lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for slug in sorted(rows):
        writer.writerow(rows[slug])
    out.write_text(buf.getvalue(), encoding="utf-8")


def check_top10(top10: Path) -> list[str]:
    from tokencensus.catalog import load_catalog

    catalog = load_catalog()
    slugs = {
        m["slug"]
        for f in sorted(top10.rglob("*.json"))
        for m in json.loads(f.read_text(encoding="utf-8"))["models"]
    }
    return sorted(s for s in slugs if catalog.resolve(s) is None)


def summary(rows: dict[str, dict[str, str]]) -> str:
    vals = list(rows.values())
    open_rows = [r for r in vals if r["open_weights"] == "true"]
    sizes = Counter(size_class(float(r["params_b"]) if r["params_b"] else None) for r in open_rows)
    sources = Counter(r[c].split(":")[0] for r in vals for c in SOURCE_OF.values() if r[c])
    return "\n".join(
        [
            f"rows {len(vals)}; open {len(open_rows)}, closed {len(vals) - len(open_rows)}",
            f"origin {dict(Counter(r['origin'] for r in vals))}",
            f"reasoning {sum(r['reasoning'] == 'true' for r in vals)}",
            f"open by size {dict(sizes)}",
            f"source tokens {dict(sources.most_common())}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    ap.add_argument("--epoch", type=Path, default=DEFAULT_EPOCH)
    ap.add_argument("--curated", type=Path, default=DEFAULT_CURATED)
    ap.add_argument("--top10", type=Path, default=DEFAULT_TOP10)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="resolve every weekly-top10 slug")
    args = ap.parse_args(argv)

    rows, reasoning_param, tag = read_snapshot(args.snapshot)
    curated = read_curated(args.curated)
    apply_curated(rows, curated)  # adds retired models, so Epoch can reach them
    apply_epoch(rows, args.epoch)
    decided = apply_curated(rows, curated)  # curated cells win over Epoch
    problems = finish(rows, reasoning_param, decided, tag)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing written.", file=sys.stderr)
        return 1
    write(rows, args.out)
    print(summary(rows))
    if args.check:
        unresolved = check_top10(args.top10)
        print(f"weekly-top10 slugs unresolved: {unresolved or 'none'}")
        return 1 if unresolved else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
