"""Measure the offline prompt classifier and the language detector; prints the figures.

    python benchmarks/bench_classify.py            # all figures (about a minute on 2 cores)
    python benchmarks/bench_classify.py --quick    # fewer throughput repetitions

Figures:
0. Cross-author macro-F1 (the headline): the leave-one-author-out protocol (printed) and its
   figures, recorded in the model's metadata by ``train_classifier.py`` when the shipped model
   was trained (they need the fastText training build, so they are not recomputed here).
1. Category macro-F1 (the twelve study categories) and per-category P/R/F1 of the shipped
   offline backend on the held-out hand-written test split (all of it, then its two parts:
   ``en-*`` the 30 % crc split of the first hand-written set, ``heldout-*`` the later
   test-only file), plus the test-only sets (multilingual prompts; MT-Bench/Vicuna-Bench
   questions with mapped labels; ``test_fresh``, written after the model's data and
   parameters were fixed, in English and 11 more languages).
2. Classification throughput on 1,000-character prompts (backend alone, and the full
   ``classify_events`` stage at rate 1 with language detection).
3. Language accuracy per language on the multilingual prompts and the fresh set's prompts of
   >= 20 words (>= 30 characters in zh/ja/th), and detection throughput on 1,000-character
   prompts.
4. Programming recall on code_alpaca_2k (CC BY-NC 4.0, read from ../shared when present;
   never copied into the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import textwrap
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from tokencensus.enrich.classify import classify_events, get_backend, load_mapping
from tokencensus.enrich.classify.evaluate import evaluate_backend, primary_category
from tokencensus.enrich.classify.taxonomy import STUDY_CATEGORIES
from tokencensus.enrich.language import LanguageDetector

HERE = Path(__file__).parent / "data" / "prompts"
CODE_ALPACA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "prompt-labels"
    / "code_alpaca"
    / "code_alpaca_2k.json"
)
STUDY_LANGS = ("en", "zh-Hans", "ru", "es", "th", "ja", "ko", "fr", "de", "pt", "ar", "hi")


def load(name: str) -> list[dict]:
    with open(HERE / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def thousand_char_prompts(rows: list[dict], n: int) -> list[str]:
    """n prompts of exactly 1,000 characters, each one test prompt repeated to length."""
    out = []
    for i in range(n):
        t = rows[i % len(rows)]["text"]
        out.append(((t + " ") * (1000 // (len(t) + 1) + 1))[:1000])
    return out


def rate(n: int, fn) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def long_enough(text: str, lang: str) -> bool:
    """The language target's population: >= 20 words (>= 30 characters in zh, ja, th)."""
    if lang.startswith("zh") or lang in ("ja", "th"):
        return len(text.strip()) >= 30
    return len(text.split()) >= 20


def print_cross_author(meta: dict) -> None:
    """Section 0: the leave-one-author-out protocol and the figures recorded at training time."""
    print("\n== 0. cross-author macro-F1 (leave-one-author-out, recorded at training) ==")
    report = meta.get("cross_author")
    if not report:
        print("not recorded in this model's metadata (train it with train_classifier.py)")
        return
    print(textwrap.fill("protocol: " + report["protocol"], width=100))
    cats = list(STUDY_CATEGORIES)
    print(f"{'author':8} {'n':>4} {'macro-F1':>8}  " + " ".join(f"{c[:5]:>5}" for c in cats))
    for author, r in report["authors"].items():
        f1s = " ".join(
            f"{r['per_category'][c]['f1']:5.2f}" if c in r["per_category"] else "    -"
            for c in cats
        )
        print(f"{author:8} {r['n']:4d} {r['macro_f1']:8.3f}  {f1s}")
    print(
        f"cross-author macro-F1 = {report['mean_macro_f1']:.3f} "
        f"(mean over {', '.join(report['mean_over'])})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description="Print the classifier and language-detector figures.")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n_speed = 2000 if args.quick else 10_000
    mapping = load_mapping()
    backend = get_backend("offline")
    print(
        f"cpu cores: {os.cpu_count()}; model: {backend.meta.get('trained_on')} ({backend.meta.get('train_rows')} rows)"
    )

    print_cross_author(backend.meta)

    print("\n== 1. categories (offline backend, calibrated confidences, threshold 0.5) ==")
    test = load("test")
    sets = {
        "test": test,
        "test[en-]": [r for r in test if r["source"].startswith("en-")],
        "test[heldout-]": [r for r in test if r["source"].startswith("heldout-")],
        "test_multilingual": load("test_multilingual"),
        "test_external": load("test_external"),
    }
    if (HERE / "test_fresh.jsonl").is_file():
        fresh = load("test_fresh")
        sets["test_fresh"] = fresh
        sets["test_fresh[en]"] = [r for r in fresh if r["lang"] == "en"]
        sets["test_fresh[other]"] = [r for r in fresh if r["lang"] != "en"]
    for name, rows in sets.items():
        ev = evaluate_backend(backend.classify, rows, mapping=mapping)
        print(
            f"{name:18} n={ev.n:4d}  macro-F1={ev.macro_f1:.3f} over {len(ev.macro_over)}  accuracy={ev.accuracy:.3f}"
        )
        for s in ev.scores:
            print(
                f"   {s.category:17} P={s.precision:.2f} R={s.recall:.2f} F1={s.f1:.2f} n={s.support}"
            )

    print("\n== 2. classification throughput, 1,000-character prompts ==")
    texts = thousand_char_prompts(load("test"), n_speed)
    ids = [str(i) for i in range(len(texts))]
    backend.classify(texts[:50], ids[:50])  # warm-up
    print(
        f"backend.classify:          {rate(len(texts), lambda: backend.classify(texts, ids)):9,.0f} prompts/s"
    )
    table = pa.table({"id": ids, "prompt": texts})
    print(
        f"classify_events (rate 1):  {rate(len(texts), lambda: classify_events(table, rate=1.0, backend=backend)):9,.0f} prompts/s (incl. language)"
    )
    print(
        f"classify_events (0.25 %):  {rate(len(texts), lambda: classify_events(table, backend=backend)):9,.0f} prompts/s (incl. language)"
    )

    print("\n== 3. language detection ==")
    det = LanguageDetector()
    rows = [r for r in load("test_multilingual") if r["lang"] in (*STUDY_LANGS, "zh-Hant")]
    if (HERE / "test_fresh.jsonl").is_file():  # the fresh set's prompts of >= 20 words too
        rows += [
            r
            for r in load("test_fresh")
            if r["lang"] in (*STUDY_LANGS, "zh-Hant") and long_enough(r["text"], r["lang"])
        ]
    pred = det.detect([r["text"] for r in rows])
    right, total, wrong = Counter(), Counter(), []
    for r, p in zip(rows, pred, strict=True):
        total[r["lang"]] += 1
        if p == r["lang"]:
            right[r["lang"]] += 1
        else:
            wrong.append((r["lang"], p, r["text"][:50]))
    for lang in (*STUDY_LANGS, "zh-Hant"):
        print(f"   {lang:8} {right[lang]:3d}/{total[lang]:3d} = {right[lang] / total[lang]:.0%}")
    print(
        f"all: {sum(right.values())}/{sum(total.values())} = {sum(right.values()) / sum(total.values()):.1%}; misses: {wrong[:5]}"
    )
    lang_texts = thousand_char_prompts(rows, n_speed)
    print(
        f"detect:                    {rate(len(lang_texts), lambda: det.detect(lang_texts)):9,.0f} texts/s (1,000-character texts)"
    )

    if CODE_ALPACA.is_file():
        print("\n== 4. code_alpaca_2k (weak Programming positives) ==")
        items = json.loads(CODE_ALPACA.read_text(encoding="utf-8"))
        prompts = [
            (it["instruction"] + ("\n" + it["input"] if it.get("input") else ""))[:1000]
            for it in items
        ]
        labels = backend.classify(prompts, [str(i) for i in range(len(prompts))])
        cats = Counter(primary_category(lab, mapping) for lab in labels)
        print(
            f"Programming recall: {cats['Programming'] / len(prompts):.3f} of {len(prompts)}; top predictions: {cats.most_common(4)}"
        )


if __name__ == "__main__":
    main()
