"""The shipped model catalog (catalog/data/models.csv): coverage, facts and consistency.

Fast and offline: reads only the packaged CSV (never /work/shared).
"""

from __future__ import annotations

import csv
import math
from datetime import date
from importlib import resources

import pytest

from tokencensus import load_catalog
from tokencensus.catalog import CATALOG_COLUMNS, Catalog

SOURCE_OF = {
    "open_weights": "open_weights_source",
    "origin": "origin_source",
    "params_b": "params_source",
    "reasoning": "reasoning_source",
    "release_date": "release_source",
    "prompt_usd_per_m": "price_source",
    "completion_usd_per_m": "price_source",
}
#: T1 of the paper: OSS model authors, exactly as labelled there.
T1_AUTHORS = (
    "DeepSeek", "Qwen", "Meta LLaMA", "Mistral AI", "OpenAI",
    "Minimax", "Z-AI", "TNGTech", "MoonshotAI", "Google",
)  # fmt: skip
#: Open models released after the study whose size no checkable source gave (README).
UNKNOWN_SIZE_ALLOWED_AFTER = date(2025, 12, 31)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    text = resources.files("tokencensus.catalog").joinpath("data/models.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def row(catalog: Catalog, model: str) -> dict[str, object]:
    slug = catalog.resolve(model)
    assert slug is not None, f"{model!r} does not resolve"
    return catalog.get(slug)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


# ------------------------------------------------------------------ file shape
def test_header_and_order(raw_rows: list[dict[str, str]]) -> None:
    assert tuple(raw_rows[0].keys()) == CATALOG_COLUMNS
    slugs = [r["slug"] for r in raw_rows]
    assert slugs == sorted(slugs), "models.csv must be sorted by slug (the build's output)"
    assert len(set(slugs)) == len(slugs)


def test_size(catalog: Catalog) -> None:
    assert len(catalog) >= 300


# ------------------------------------------------------------------ coverage
#: Models the paper names, as logs write them -> the catalog row they must reach.
PAPER_MODELS = {
    # open models marked in F1 / named in sections 3-4
    "meta-llama/llama-3.3-70b-instruct:free": "meta-llama/llama-3.3-70b-instruct",
    "deepseek/deepseek-chat": "deepseek/deepseek-chat",
    "deepseek/deepseek-chat-v3": "deepseek/deepseek-chat",
    "deepseek/deepseek-v3-0324": "deepseek/deepseek-chat-v3-0324",
    "deepseek/deepseek-chat-v3-0324:free": "deepseek/deepseek-chat-v3-0324",
    "deepseek/deepseek-r1:free": "deepseek/deepseek-r1",
    "deepseek/deepseek-r1-0528:free": "deepseek/deepseek-r1-0528",
    "deepseek/deepseek-chat-v3.1:free": "deepseek/deepseek-chat-v3.1",
    "deepseek/deepseek-v3.2-20251201": "deepseek/deepseek-v3.2",
    "moonshotai/kimi-k2-0711": "moonshotai/kimi-k2",
    "moonshotai/kimi-k2-0905": "moonshotai/kimi-k2-0905",
    "moonshotai/kimi-k2-thinking": "moonshotai/kimi-k2-thinking",
    "openai/gpt-oss-120b:exacto": "openai/gpt-oss-120b",
    "openai/gpt-oss-20b": "openai/gpt-oss-20b",
    "qwen/qwen3-coder-480b-a35b-07-25:free": "qwen/qwen3-coder",
    "qwen/qwen-2.5-coder-32b-instruct": "qwen/qwen-2.5-coder-32b-instruct",
    "mistralai/mistral-small-24b-instruct-2501": "mistralai/mistral-small-24b-instruct-2501",
    "mistralai/mistral-small-3.1-24b-instruct:free": "mistralai/mistral-small-3.1-24b-instruct",
    "mistralai/mistral-small-3.2-24b-instruct": "mistralai/mistral-small-3.2-24b-instruct",
    "google/gemma-3-4b-it": "google/gemma-3-4b-it",
    "google/gemma-3-12b-it:free": "google/gemma-3-12b-it",
    "google/gemma-3-27b-it": "google/gemma-3-27b-it",
    "qwen/qwen3-235b-a22b": "qwen/qwen3-235b-a22b",
    "qwen/qwen3-235b-a22b-07-25": "qwen/qwen3-235b-a22b-2507",
    "qwen/qwen3-235b-a22b-thinking-2507": "qwen/qwen3-235b-a22b-thinking-2507",
    "z-ai/glm-4.5": "z-ai/glm-4.5",
    "z-ai/glm-4.5-air:free": "z-ai/glm-4.5-air",
    "z-ai/glm-4.6:exacto": "z-ai/glm-4.6",
    "minimax/minimax-m1": "minimax/minimax-m1",
    "minimax/minimax-m2:free": "minimax/minimax-m2",
    "tngtech/deepseek-r1t-chimera:free": "tngtech/deepseek-r1t-chimera",
    "tngtech/deepseek-r1t2-chimera:free": "tngtech/deepseek-r1t2-chimera",
    # xAI and Google (F11, F13, F25, T3)
    "x-ai/grok-code-fast-1": "x-ai/grok-code-fast-1",
    "x-ai/grok-4-07-09": "x-ai/grok-4",
    "x-ai/grok-4-fast:free": "x-ai/grok-4-fast",
    "x-ai/grok-3": "x-ai/grok-3",
    "x-ai/grok-3-mini": "x-ai/grok-3-mini",
    "google/gemini-2.0-flash": "google/gemini-2.0-flash-001",
    "gemini-2.0-flash": "google/gemini-2.0-flash-001",
    "google/gemini-2.0-flash-lite-001": "google/gemini-2.0-flash-lite-001",
    "google/gemini-2.5-pro": "google/gemini-2.5-pro",
    "gemini-2.5-flash": "google/gemini-2.5-flash",
    "google/gemini-2.5-flash-lite": "google/gemini-2.5-flash-lite",
    "google/gemini-3-pro-preview-20251117": "google/gemini-3-pro-preview",
    # OpenAI
    "openai/gpt-4o": "openai/gpt-4o",
    "openai/gpt-4o-mini": "openai/gpt-4o-mini",
    "gpt-4o-mini-2024-07-18": "openai/gpt-4o-mini-2024-07-18",
    "openai/gpt-4": "openai/gpt-4",
    "openai/gpt-4-turbo": "openai/gpt-4-turbo",
    "openai/gpt-4.1-2025-04-14": "openai/gpt-4.1",
    "openai/gpt-4.1-mini-2025-04-14": "openai/gpt-4.1-mini",
    "openai/gpt-4.1-nano": "openai/gpt-4.1-nano",
    "openai/o1": "openai/o1",
    "openai/o3": "openai/o3",
    "o3-mini-2025-01-31": "openai/o3-mini",
    "openai/o4-mini": "openai/o4-mini",
    "openai/gpt-5-2025-08-07": "openai/gpt-5",
    "openai/gpt-5-mini": "openai/gpt-5-mini",
    "openai/gpt-5-nano": "openai/gpt-5-nano",
    "openai/gpt-5-pro": "openai/gpt-5-pro",
    "openai/gpt-5.1": "openai/gpt-5.1",
    # Anthropic
    "anthropic/claude-3-haiku": "anthropic/claude-3-haiku",
    "anthropic/claude-3-opus": "anthropic/claude-3-opus",
    "anthropic/claude-3.5-sonnet:beta": "anthropic/claude-3.5-sonnet",
    "anthropic/claude-3-5-haiku": "anthropic/claude-3.5-haiku",
    "anthropic/claude-3-7-sonnet-20250219": "anthropic/claude-3.7-sonnet",
    "anthropic/claude-3.7-sonnet": "anthropic/claude-3.7-sonnet",
    "anthropic/claude-3-7-sonnet-20250219:thinking": "anthropic/claude-3.7-sonnet:thinking",
    "anthropic/claude-4-sonnet-20250522": "anthropic/claude-sonnet-4",
    "claude-sonnet-4-20250514": "anthropic/claude-sonnet-4",
    "anthropic/claude-sonnet-4": "anthropic/claude-sonnet-4",
    "anthropic/claude-opus-4": "anthropic/claude-opus-4",
    "anthropic/claude-4.1-opus-20250805": "anthropic/claude-opus-4.1",
    "anthropic/claude-4.5-sonnet-20250929": "anthropic/claude-sonnet-4.5",
    "anthropic/claude-haiku-4.5": "anthropic/claude-haiku-4.5",
    # Meta, Mistral, Qwen, IBM, Cohere (sections 3, 8)
    "meta-llama/llama-4-maverick": "meta-llama/llama-4-maverick",
    "meta-llama/llama-4-scout-17b-16e-instruct": "meta-llama/llama-4-scout",
    "meta-llama/llama-3.1-8b-instruct": "meta-llama/llama-3.1-8b-instruct",
    "meta-llama/llama-3.1-70b-instruct": "meta-llama/llama-3.1-70b-instruct",
    "meta-llama/llama-3.1-405b-instruct:free": "meta-llama/llama-3.1-405b-instruct",
    "meta-llama/llama-3.2-1b-instruct": "meta-llama/llama-3.2-1b-instruct",
    "meta-llama/llama-3.2-3b-instruct:free": "meta-llama/llama-3.2-3b-instruct",
    "meta-llama/llama-3.2-11b-vision-instruct": "meta-llama/llama-3.2-11b-vision-instruct",
    "meta-llama/llama-3.2-90b-vision-instruct": "meta-llama/llama-3.2-90b-vision-instruct",
    "meta-llama/codellama-34b-instruct": "meta-llama/codellama-34b-instruct",
    "qwen/qwen-2-7b-instruct": "qwen/qwen-2-7b-instruct",
    "qwen/qwen-2.5-7b-instruct": "qwen/qwen-2.5-7b-instruct",
    "qwen/qwen-2.5-72b-instruct": "qwen/qwen-2.5-72b-instruct",
    "ibm/granite-4.0-micro": "ibm-granite/granite-4.0-h-micro",
    "mistralai/mistral-nemo": "mistralai/mistral-nemo",
    "mistralai/mistral-large-2411": "mistralai/mistral-large-2411",
    "mistralai/mistral-medium-3": "mistralai/mistral-medium-3",
    "mistralai/codestral-2508": "mistralai/codestral-2508",
    "mistralai/devstral-small-2507": "mistralai/devstral-small",
    "mistralai/magistral-medium-2506:thinking": "mistralai/magistral-medium-2506",
    "mistralai/magistral-small-2506": "mistralai/magistral-small-2506",
    "cohere/command-r-08-2024": "cohere/command-r-08-2024",
    "cohere/command-r-plus-08-2024": "cohere/command-r-plus-08-2024",
}


@pytest.mark.parametrize(("model", "slug"), sorted(PAPER_MODELS.items()))
def test_paper_models_resolve(catalog: Catalog, model: str, slug: str) -> None:
    assert catalog.resolve(model) == slug


@pytest.mark.parametrize(
    "model",
    [
        "claude-3-5-sonnet-20241022",
        "claude-3-7-sonnet@20250219",
        "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "gemini/gemini-2.0-flash",
        "deepseek-reasoner",
        "deepseek-ai/DeepSeek-V3",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "llama-3.3-70b-versatile",
        "mistral-small-2501",
        "gpt-5-chat-latest",
    ],
)
def test_vendor_api_names_resolve(catalog: Catalog, model: str) -> None:
    assert catalog.resolve(model) is not None


def test_v3_dec_2024_and_v3_0324_are_distinct(catalog: Catalog) -> None:
    assert catalog.resolve("deepseek/deepseek-chat") != catalog.resolve(
        "deepseek/deepseek-chat-v3-0324"
    )


def test_t1_author_labels(catalog: Catalog) -> None:
    oss = catalog.models[catalog.models["open_weights"]]
    for author in T1_AUTHORS:
        assert (oss["author"] == author).any(), f"no open model by {author!r}"
    # one label per author: no spelling variants of the T1 names
    labels = set(catalog.models["author"])
    for author in T1_AUTHORS:
        variants = {
            x for x in labels if x.lower().replace(" ", "") == author.lower().replace(" ", "")
        }
        assert variants == {author}


# ------------------------------------------------------------------ facts
@pytest.mark.parametrize(
    ("model", "open_weights", "origin", "size"),
    [
        ("deepseek/deepseek-chat", True, "china", "large"),
        ("deepseek/deepseek-r1", True, "china", "large"),
        ("moonshotai/kimi-k2", True, "china", "large"),
        ("qwen/qwen3-coder", True, "china", "large"),
        ("openai/gpt-oss-120b", True, "row", "large"),
        ("openai/gpt-oss-20b", True, "row", "medium"),
        ("google/gemma-3-12b-it", True, "row", "small"),
        ("google/gemma-3-4b-it", True, "row", "small"),
        ("google/gemma-3-27b-it", True, "row", "medium"),
        ("qwen/qwen-2.5-coder-32b-instruct", True, "china", "medium"),
        ("mistralai/mistral-small-24b-instruct-2501", True, "row", "medium"),
        ("meta-llama/llama-3.3-70b-instruct", True, "row", "large"),
        ("qwen/qwen3-235b-a22b-2507", True, "china", "large"),
        ("z-ai/glm-4.5-air", True, "china", "large"),
        ("qwen/qwen-2-7b-instruct", True, "china", "small"),
        ("ibm/granite-4.0-micro", True, "row", "small"),
        ("tngtech/deepseek-r1t2-chimera", True, "row", "large"),
        ("anthropic/claude-sonnet-4", False, "row", "unknown"),
        ("openai/gpt-4o-mini", False, "row", "unknown"),
        ("google/gemini-2.5-pro", False, "row", "unknown"),
        ("x-ai/grok-code-fast-1", False, "row", "unknown"),
    ],
)
def test_spot_facts(
    catalog: Catalog, model: str, open_weights: bool, origin: str, size: str
) -> None:
    r = row(catalog, model)
    assert r["open_weights"] is open_weights
    assert r["origin"] == origin
    assert r["size_class"] == size


def test_source_types(catalog: Catalog) -> None:
    assert row(catalog, "deepseek/deepseek-chat")["source_type"] == "Chinese OSS"
    assert row(catalog, "meta-llama/llama-3.3-70b-instruct")["source_type"] == "RoW OSS"
    assert row(catalog, "anthropic/claude-4-sonnet-20250522")["source_type"] == "Closed"


def test_deepseek_v3_details(catalog: Catalog) -> None:
    r = row(catalog, "deepseek/deepseek-chat")
    assert r["params_b"] == 671
    assert r["active_params_b"] == 37
    assert r["release_date"] == date(2024, 12, 26)
    assert r["reasoning"] is False


@pytest.mark.parametrize(
    "model",
    ["x-ai/grok-code-fast-1", "google/gemini-2.5-pro", "google/gemini-2.5-flash",
     "x-ai/grok-4-fast", "openai/gpt-oss-120b"],
)  # fmt: skip
def test_f11_top_reasoning_models_reason(catalog: Catalog, model: str) -> None:
    assert row(catalog, model)["reasoning"] is True


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("openai/o1", True),
        ("openai/o3-mini", True),
        ("deepseek/deepseek-r1-0528", True),
        ("qwen/qwq-32b", True),
        ("qwen/qwen3-32b", True),
        ("moonshotai/kimi-k2-thinking", True),
        ("minimax/minimax-m2", True),
        ("z-ai/glm-4.6", True),
        ("openai/gpt-5", True),
        ("openai/gpt-5-chat", False),
        ("openai/gpt-4o", False),
        ("deepseek/deepseek-chat-v3.1", False),
        ("moonshotai/kimi-k2", False),
        ("anthropic/claude-sonnet-4.5", False),
        ("google/gemini-2.0-flash-001", False),
    ],
)
def test_reasoning_flags(catalog: Catalog, model: str, reasoning: bool) -> None:
    assert row(catalog, model)["reasoning"] is reasoning


def test_hybrid_thinking_variant(catalog: Catalog) -> None:
    base = row(catalog, "anthropic/claude-3.7-sonnet")
    thinking = row(catalog, "anthropic/claude-3.7-sonnet:thinking")
    assert base["reasoning"] is False
    assert thinking["reasoning"] is True
    assert thinking["variant_of"] == base["slug"]


def test_thinking_rows_are_reasoning_variants(catalog: Catalog) -> None:
    m = catalog.models
    thinking = m[m["slug"].str.endswith(":thinking")]
    assert len(thinking) >= 3
    assert thinking["reasoning"].all()
    assert thinking["variant_of"].isin(set(m["slug"])).all()


# ------------------------------------------------------------------ completeness
def test_open_weights_rows_have_size(catalog: Catalog) -> None:
    m = catalog.models
    missing = m[m["open_weights"] & m["params_b"].isna()]
    late = [d > UNKNOWN_SIZE_ALLOWED_AFTER for d in missing["release_date"]]
    assert all(late), f"open models without params_b: {sorted(missing['slug'])}"
    assert len(missing) <= 4


def test_every_row_has_release_date_and_author(catalog: Catalog) -> None:
    m = catalog.models
    assert m["release_date"].map(lambda d: isinstance(d, date)).all()
    assert m["author"].map(lambda a: isinstance(a, str) and a.strip() != "").all()
    assert set(m["origin"]) == {"china", "row"}


def test_sources_present_where_facts_are(raw_rows: list[dict[str, str]]) -> None:
    gaps = [
        f"{r['slug']}: {fact}"
        for r in raw_rows
        for fact, src in SOURCE_OF.items()
        if r[fact].strip() and not r[src].strip()
    ]
    assert not gaps
    for r in raw_rows:  # the three booleans/dates are always filled
        for src in ("open_weights_source", "origin_source", "reasoning_source", "release_source"):
            assert r[src], f"{r['slug']}: empty {src}"


def test_prices_come_in_pairs(catalog: Catalog) -> None:
    m = catalog.models
    assert (m["prompt_usd_per_m"].isna() == m["completion_usd_per_m"].isna()).all()


def test_variant_targets_exist(catalog: Catalog) -> None:
    m = catalog.models
    targets = {v for v in m["variant_of"] if not is_blank(v)}
    assert targets <= set(m["slug"])


def test_aliases_never_shadow_another_slug(catalog: Catalog) -> None:
    slugs = {s.lower(): s for s in catalog.models["slug"]}
    for slug, aliases in zip(catalog.models["slug"], catalog.models["aliases"], strict=True):
        for alias in (aliases or "").split("|") if isinstance(aliases, str) else []:
            assert slugs.get(alias.lower(), slug) == slug, f"{alias!r} of {slug!r}"
