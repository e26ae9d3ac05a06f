from __future__ import annotations

import json

import pytest

from tokencensus.enrich.classify.evaluate import evaluate_backend, read_labeled, score_predictions
from tokencensus.errors import InputError


def test_scores_and_confusion():
    ev = score_predictions(
        ["Programming", "Programming", "Roleplay", "Health"],
        ["Programming", "Roleplay", "Roleplay", "Others"],
        macro_over=("Programming", "Roleplay", "Health"),
    )
    by = {s.category: s for s in ev.scores}
    assert by["Programming"].precision == 1.0 and by["Programming"].recall == 0.5
    assert by["Roleplay"].precision == 0.5 and by["Roleplay"].recall == 1.0
    assert by["Health"].f1 == 0.0
    assert ev.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert ev.labels[-1] == "Others"
    assert ev.confusion[ev.labels.index("Programming")][ev.labels.index("Roleplay")] == 1
    assert ev.accuracy == 0.5


def test_evaluate_backend_uses_primary_label(keyword_backend, tmp_path):
    rows = [
        {"id": "1", "text": "code please", "category": "Programming"},
        {"id": "2", "text": "a poem", "category": "Creative Writing"},
        {"id": "3", "text": "soup", "category": "Health"},
    ]
    ev = evaluate_backend(
        keyword_backend.classify, rows, macro_over=("Programming", "Creative Writing", "Health")
    )
    assert ev.accuracy == pytest.approx(2 / 3)
    assert ev.n == 3 and ev.prompts_per_s > 0
    assert json.dumps(ev.as_dict())


def test_read_labeled_reports_bad_rows(tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text(
        '{"text": "ok", "category": "Programming"}\n'
        '{"text": "", "category": "Programming"}\n'
        '{"text": "x", "category": "Cooking"}\n'
        "[1]\n"
        "{oops\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_labeled(f)
    msg = str(info.value)
    assert "has 4 bad row(s)" in msg
    assert "line 2: field 'text' must be a non-empty string" in msg
    assert "line 3: field 'category' is 'Cooking', not one of the mapping's categories" in msg
    assert "line 4: expected an object, saw list" in msg
    assert "line 5: not JSON" in msg


def test_read_labeled_missing_and_empty(tmp_path):
    with pytest.raises(InputError, match=r"Labelled file .* does not exist"):
        read_labeled(tmp_path / "x.jsonl")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(InputError, match="has no rows"):
        read_labeled(tmp_path / "e.jsonl")
