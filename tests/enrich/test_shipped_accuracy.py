"""Golden figures of the shipped offline classifier and language detector.

The figures are the ones ``benchmarks/bench_classify.py`` prints and
``benchmarks/data/prompts/SOURCE.md`` publishes, computed the same way: categories with
the project's own :func:`evaluate_backend` (macro-F1 over the twelve study categories,
top label at calibrated confidence >= 0.5, else Others), language with the benchmark's
row selection (the multilingual prompts, and the fresh set's prompts of >= 20 words).
The floors sit a few points under the measured figures, so a retrained model, a changed
Platt map, tokeniser or mapping that loses accuracy fails here.  Measured with the model
shipped in c2d604c; the whole file runs in about a second.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tokencensus.enrich.classify import get_backend, load_mapping
from tokencensus.enrich.classify.evaluate import evaluate_backend
from tokencensus.enrich.classify.taxonomy import STUDY_CATEGORIES
from tokencensus.enrich.language import LanguageDetector

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_classify.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/bench_classify.py (its loader and language protocol); skipped elsewhere."""
    if not BENCH.is_file():
        pytest.skip("benchmarks/ is not in this tree")
    spec = importlib.util.spec_from_file_location("bench_classify", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "min_rows", "floor"),
    [
        # measured 0.915 (397 rows); the floor sits a few points below it so a real
        # regression fails (the project's target for held-out English is 0.80)
        ("test", 397, 0.88),
        # measured 0.832 on the 810-row file built from fresh/*.txt (en 654: 0.856;
        # pt/ru/ar/hi/th 156: 0.702), and 0.855 on the 685-row en + pt file of c2d604c
        ("test_fresh", 800, 0.80),
    ],
)
def test_shipped_offline_macro_f1(bench, name, min_rows, floor):
    rows = bench.load(name)
    ev = evaluate_backend(get_backend("offline").classify, rows, mapping=load_mapping())
    assert ev.n == len(rows) >= min_rows  # a truncated set must not pass on its own
    assert ev.macro_over == STUDY_CATEGORIES  # every study category is scored
    f1s = ", ".join(f"{s.category} {s.f1:.2f}" for s in ev.scores if s.category in ev.macro_over)
    assert ev.macro_f1 >= floor, f"{name}: macro-F1 {ev.macro_f1:.3f} < {floor} ({f1s})"


def _language_rows(bench: ModuleType, name: str) -> list[dict]:
    """The rows bench_classify scores for language: study languages + zh-Hant; of the fresh
    set only prompts of >= 20 words (>= 30 characters in zh/ja/th)."""
    langs = (*bench.STUDY_LANGS, "zh-Hant")
    return [
        r
        for r in bench.load(name)
        if r["lang"] in langs and (name != "test_fresh" or bench.long_enough(r["text"], r["lang"]))
    ]


@pytest.mark.parametrize(
    ("names", "min_rows", "min_langs"),
    [
        # measured 179/179 = 100 %
        (("test_multilingual",), 170, 13),
        # 810-row file: 513/521 = 98.5 % (the misses: en requests quoting French, Spanish,
        # Polish, Russian text); 685-row en + pt file of c2d604c: 403/411 = 98.1 %
        (("test_fresh",), 400, 2),
        # the published figure: 692/700 = 98.9 % (810-row fresh file), 582/590 = 98.6 % (685)
        (("test_multilingual", "test_fresh"), 580, 13),
    ],
)
def test_shipped_language_accuracy(bench, names, min_rows, min_langs):
    rows = [r for name in names for r in _language_rows(bench, name)]
    assert len(rows) >= min_rows and len({r["lang"] for r in rows}) >= min_langs
    predicted = LanguageDetector().detect([r["text"] for r in rows])
    wrong = [
        (r["lang"], p, r["text"][:40])
        for r, p in zip(rows, predicted, strict=True)
        if p != r["lang"]
    ]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= 0.95, f"{'+'.join(names)}: accuracy {accuracy:.3f}; misses {wrong[:10]}"
