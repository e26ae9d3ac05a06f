"""Measure a classifier backend against prompts with known categories.

A labelled file is JSONL, one object a line, with ``text`` and ``category`` (one of the
mapping's categories; ``id`` optional).  The backend labels every prompt (the sample rate
does not apply); the prompt's **predicted category** is the category of its most confident
label at or above the threshold, or ``Others`` when it has none.  Per-category precision,
recall and F1 are computed on that single prediction, and macro-F1 averages F1 over the
twelve study categories (:data:`STUDY_CATEGORIES`) unless told otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokencensus.enrich.classify.taxonomy import OTHERS, STUDY_CATEGORIES, Mapping, load_mapping
from tokencensus.errors import InputError

__all__ = ["CategoryScore", "Evaluation", "evaluate_backend", "read_labeled", "score_predictions"]


@dataclass(frozen=True)
class CategoryScore:
    category: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Scores of one evaluation run."""

    scores: tuple[CategoryScore, ...]
    macro_f1: float
    macro_over: tuple[str, ...]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: gold, columns: predicted, order = labels
    n: int
    accuracy: float
    seconds: float = 0.0

    @property
    def prompts_per_s(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "macro_over": list(self.macro_over),
            "prompts_per_s": self.prompts_per_s,
            "scores": [s.__dict__ for s in self.scores],
            "labels": list(self.labels),
            "confusion": [list(r) for r in self.confusion],
        }


def read_labeled(path: str | Path, mapping: Mapping | None = None) -> list[dict]:
    """Rows of a labelled JSONL file, checked: every bad row is reported with its line."""
    mapping = mapping or load_mapping()
    known = set(mapping.categories)
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"Labelled file {p} does not exist. Pass a JSONL file with text and category."
        )
    rows, problems = [], []
    with p.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {line_no}: not JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {line_no}: expected an object, saw {type(obj).__name__}")
                continue
            text, cat = obj.get("text"), obj.get("category")
            if not isinstance(text, str) or not text.strip():
                problems.append(
                    f"line {line_no}: field 'text' must be a non-empty string, saw {text!r:.40}"
                )
            elif cat not in known:
                problems.append(
                    f"line {line_no}: field 'category' is {cat!r}, not one of the mapping's "
                    f"categories ({', '.join(sorted(known))})"
                )
            else:
                rows.append(
                    {"id": str(obj.get("id", f"line-{line_no}")), "text": text, "category": cat}
                )
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise InputError(
            f"Labelled file {p} has {len(problems)} bad row(s): {shown}. Fix or remove them."
        )
    if not rows:
        raise InputError(f"Labelled file {p} has no rows. Add JSONL lines with text and category.")
    return rows


def score_predictions(
    gold: Sequence[str],
    predicted: Sequence[str],
    *,
    macro_over: Sequence[str] = STUDY_CATEGORIES,
    seconds: float = 0.0,
) -> Evaluation:
    """Precision, recall, F1 per category, macro-F1 and the confusion matrix."""
    present = set(gold) | set(predicted)
    labels = [c for c in macro_over if c in present or c in macro_over]
    labels += sorted(present - set(labels) - {OTHERS})
    if OTHERS in present:
        labels.append(OTHERS)
    index = {c: i for i, c in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=False):
        matrix[index[g]][index[p]] += 1
    scores = []
    for c in labels:
        i = index[c]
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        fn = sum(matrix[i]) - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        scores.append(CategoryScore(c, prec, rec, f1, tp + fn))
    macro = [s.f1 for s in scores if s.category in set(macro_over) and s.support > 0]
    n = len(gold)
    correct = sum(1 for g, p in zip(gold, predicted, strict=False) if g == p)
    return Evaluation(
        scores=tuple(scores),
        macro_f1=sum(macro) / len(macro) if macro else 0.0,
        macro_over=tuple(
            c for c in macro_over if any(s.category == c and s.support for s in scores)
        ),
        labels=tuple(labels),
        confusion=tuple(tuple(r) for r in matrix),
        n=n,
        accuracy=correct / n if n else 0.0,
        seconds=seconds,
    )


def primary_category(
    labels: Sequence[tuple[str, float]], mapping: Mapping, threshold: float = 0.5
) -> str:
    """Category of the most confident label at or above the threshold, else Others."""
    best = None
    for path, conf in labels:
        if conf >= threshold and (best is None or conf > best[1]):
            best = (path, conf)
    return mapping.category(best[0]) if best else OTHERS


def evaluate_backend(
    classify: Callable[[list[str], list[str]], list[list[tuple[str, float]]]],
    rows: Sequence[dict],
    *,
    threshold: float = 0.5,
    mapping: Mapping | None = None,
    max_chars: int = 1000,
    macro_over: Sequence[str] = STUDY_CATEGORIES,
) -> Evaluation:
    """Run ``classify(texts, ids)`` over labelled rows and score it (timed)."""
    mapping = mapping or load_mapping()
    texts = [r["text"][:max_chars] for r in rows]
    ids = [r["id"] for r in rows]
    start = time.perf_counter()
    labels = classify(texts, ids)
    seconds = time.perf_counter() - start
    predicted = [primary_category(lab, mapping, threshold) for lab in labels]
    return score_predictions(
        [r["category"] for r in rows], predicted, macro_over=macro_over, seconds=seconds
    )
