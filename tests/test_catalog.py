"""The catalog loader: overrides, additions, alias resolution and its error messages."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tokencensus.catalog import load_catalog, size_class, source_type
from tokencensus.errors import CatalogError

SMALL = FIXTURES / "catalog_small.csv"


def write(tmp_path, text):
    path = tmp_path / "mine.csv"
    path.write_text(text)
    return path


def test_size_classes_and_source_types():
    assert [size_class(x) for x in (None, 7, 14.9, 15, 69.9, 70, 671)] == [
        "unknown", "small", "small", "medium", "medium", "large", "large",
    ]  # fmt: skip
    assert source_type(False, "china") == "Closed"
    assert source_type(True, "china") == "Chinese OSS"
    assert source_type(True, "row") == "RoW OSS"


def test_override_fills_only_given_cells(tmp_path):
    mine = write(tmp_path, "slug,params_b\ngoogle/gemma-3-12b-it,16\n")
    cat = load_catalog(SMALL, mine, shipped=False)
    row = cat.get("google/gemma-3-12b-it")
    assert row["params_b"] == 16 and row["size_class"] == "medium"
    assert row["author"] == "Google" and row["open_weights"]


def test_new_model_added(tmp_path):
    mine = write(
        tmp_path, "slug,author,open_weights,origin,params_b\nacme/gizmo-7b,Acme,true,row,7\n"
    )
    cat = load_catalog(SMALL, mine, shipped=False)
    assert cat.resolve("acme/gizmo-7b") == "acme/gizmo-7b"
    assert cat.get("acme/gizmo-7b")["source_type"] == "RoW OSS"
    assert cat.get("acme/gizmo-7b")["name"] == "acme/gizmo-7b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "slug,author\nacme/x,Acme\n",
            r"mine.csv line 2: new model 'acme/x' needs \['open_weights', 'origin'\]",
        ),
        (
            "slug,open_weights\ngoogle/gemma-3-12b-it,perhaps\n",
            r"mine.csv line 2, field 'open_weights': expected true or false, got 'perhaps'",
        ),
        (
            "slug,origin\ngoogle/gemma-3-12b-it,usa\n",
            r"mine.csv line 2, field 'origin': expected one of \('china', 'row'\), got 'usa'",
        ),
        (
            "slug,params_b\ngoogle/gemma-3-12b-it,-3\n",
            r"mine.csv line 2, field 'params_b': expected a number >= 0, got '-3'",
        ),
        (
            "slug,release_date\ngoogle/gemma-3-12b-it,March\n",
            r"mine.csv line 2, field 'release_date': expected a date YYYY-MM-DD, got 'March'",
        ),
        ("slug,colour\ngoogle/gemma-3-12b-it,red\n", r"mine.csv has unknown columns \['colour'\]"),
        ("model,author\nx,y\n", r"mine.csv has no 'slug' column"),
        (
            "slug,aliases\ngoogle/gemma-3-12b-it,openai/gpt-4o-mini\n",
            r"alias 'openai/gpt-4o-mini' of 'google/gemma-3-12b-it' already names 'openai/gpt-4o-mini'",
        ),
    ],
)
def test_bad_catalog_files(tmp_path, text, message):
    with pytest.raises(CatalogError, match=message):
        load_catalog(SMALL, write(tmp_path, text), shipped=False)


def test_missing_catalog_file(tmp_path):
    with pytest.raises(CatalogError, match=r"Catalog file .*nope.csv does not exist"):
        load_catalog(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("logged", "slug"),
    [
        ("deepseek/deepseek-r1", "deepseek/deepseek-r1"),
        ("DeepSeek/DeepSeek-R1:free", "deepseek/deepseek-r1"),  # case + routing suffix
        ("anthropic/claude-4-sonnet-20250522", "anthropic/claude-sonnet-4"),  # alias
        ("gpt-4o-mini", "openai/gpt-4o-mini"),  # no author prefix
        ("openai/gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"),  # date stamp
        ("gemma-3-12b-it:nitro", "google/gemma-3-12b-it"),
        ("acme/unknown", None),
        ("", None),
    ],
)
def test_resolve(small_catalog, logged, slug):
    assert small_catalog.resolve(logged) == slug


def test_shipped_catalog_loads_and_overrides(tmp_path):
    shipped = load_catalog()
    assert len(shipped) >= 300
    mine = write(tmp_path, "slug,params_b\ndeepseek/deepseek-r1,700\n")
    assert load_catalog(mine).get("deepseek/deepseek-r1")["params_b"] == 700
