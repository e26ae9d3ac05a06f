"""The offline backend's decision rule: Platt-calibrated one-vs-all scores, and tokenisation."""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources

import pytest

from tokencensus.enrich.classify import get_backend
from tokencensus.enrich.classify.backends.offline import (
    META_FILE,
    MODEL_FILE,
    calibrate,
    preprocess,
    uncalibrate,
)

PROMPTS = [
    "Write a Python function that merges two sorted lists, with unit tests.",
    "Translate into Spanish: the invoice is attached to this email.",
    "My landlord is keeping my deposit. What are my rights?",
    "asdf qwer zxcv",
]


def test_calibrate_identity_monotone_and_inverse():
    for p in (0.01, 0.2, 0.5, 0.77, 0.99):
        assert calibrate(p, 1.0, 0.0) == pytest.approx(p)
        q = calibrate(p, 1.7, 0.9)
        assert uncalibrate(q, 1.7, 0.9) == pytest.approx(p, rel=1e-9)
    qs = [calibrate(p / 100, 1.3, 1.1) for p in range(1, 100)]
    assert qs == sorted(qs)
    assert calibrate(0.5, 2.0, math.log(3)) == pytest.approx(0.75)  # logit 0 -> sigmoid(b)
    assert 0.0 < calibrate(0.0, 1.0, 0.0) < 1e-5 and 1 - 1e-5 < calibrate(1.0, 1.0, 0.0) < 1.0


def _copy_model(tmp_path, meta=None):
    src = resources.files("tokencensus.enrich.classify").joinpath("data", MODEL_FILE)
    dst = tmp_path / "m.ftz"
    with resources.as_file(src) as p:
        shutil.copy(p, dst)
    if meta is not None:
        (tmp_path / "m.json").write_text(json.dumps(meta), encoding="utf-8")
    return dst


def test_shipped_backend_reports_platt_calibrated_scores(tmp_path):
    shipped = get_backend("offline", min_confidence=0.0)
    platt = shipped.meta["platt"]
    raw = get_backend("offline", model_path=_copy_model(tmp_path), min_confidence=0.0)
    assert "platt" not in raw.meta  # no .json beside the copy: raw scores
    for got, base in zip(
        shipped.classify(PROMPTS, [""] * 4), raw.classify(PROMPTS, [""] * 4), strict=False
    ):
        want = {p: calibrate(c, platt["a"], platt["b"]) for p, c in base}
        assert dict(got) == pytest.approx(want)
        # same order of labels: the map is monotone
        assert [p for p, _ in sorted(got, key=lambda x: -x[1])] == [
            p for p, _ in sorted(base, key=lambda x: -x[1])
        ]


def test_floor_applies_to_calibrated_scores(tmp_path):
    model = _copy_model(tmp_path, {"platt": {"a": 1.0, "b": 3.0}})  # raises every score
    backend = get_backend("offline", model_path=model, min_confidence=0.3)
    assert backend.meta["platt"] == {"a": 1.0, "b": 3.0}
    unfloored = get_backend("offline", model_path=model, min_confidence=0.0)
    for got, full in zip(
        backend.classify(PROMPTS, [""] * 4), unfloored.classify(PROMPTS, [""] * 4), strict=False
    ):
        assert all(c >= 0.3 for _, c in got)
        assert dict(got) == pytest.approx({p: c for p, c in full if c >= 0.3})


def test_shipped_metadata_documents_the_rule():
    meta = json.loads(
        resources.files("tokencensus.enrich.classify").joinpath("data", META_FILE).read_text()
    )
    assert meta["params"]["loss"] == "ova"
    assert set(meta["platt"]) == {"a", "b"} and meta["platt"]["a"] > 0
    assert meta["calibration"]["rows"] > 100


def test_preprocess_splits_scripts_without_spaces():
    assert preprocess("写一个Python函数") == "写 一 个 python 函 数"
    assert preprocess("リストを") == "リ ス ト を"
    assert preprocess("ช่วยเขียน") == "ช่ ว ย เ ขี ย น"  # Thai letters keep their marks
    assert preprocess("오늘 너무 피곤해") == "오늘 너무 피곤해"
    assert preprocess("Don't PANIC, x_y!") == "don ' t panic , x y !"


def test_shipped_metadata_records_the_cross_author_protocol():
    meta = json.loads(
        resources.files("tokencensus.enrich.classify").joinpath("data", META_FILE).read_text()
    )
    # the map is fitted to "is the top label's category right", on out-of-fold scores
    assert meta["calibration"]["target"] == "top"
    report = meta["cross_author"]
    assert "leave-one-author-out" in report["protocol"]
    assert report["mean_over"] == list("ABCDEFGHI")  # the nine personas of authors/
    figures = [report["authors"][a]["macro_f1"] for a in report["mean_over"]]
    assert report["mean_macro_f1"] == pytest.approx(sum(figures) / len(figures), abs=1e-3)
    for author in report["mean_over"]:
        assert report["authors"][author]["n"] >= 480  # >= 40 a study category
        assert len(report["authors"][author]["per_category"]) == 12


def test_obvious_prompts_pass_the_threshold_with_the_right_category():
    from tokencensus.enrich.classify import load_mapping
    from tokencensus.enrich.classify.evaluate import primary_category

    mapping = load_mapping()
    backend = get_backend("offline")
    want = ["Programming", "Translation", "Legal"]
    got = [primary_category(lab, mapping) for lab in backend.classify(PROMPTS[:3], [""] * 3)]
    assert got == want


def _trainer():
    """benchmarks/train_classifier.py, imported from the source tree (skipped elsewhere)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "train_classifier.py"
    if not path.is_file():
        pytest.skip("benchmarks/ is not in this tree")
    spec = importlib.util.spec_from_file_location("train_classifier", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_platt_fit_recovers_a_known_map():
    import numpy as np

    tc = _trainer()
    rng = np.random.default_rng(0)
    f = rng.normal(-2.0, 3.0, 50_000)
    t = (rng.random(f.size) < 1 / (1 + np.exp(-(0.4 * f + 0.9)))).astype(float)
    a, b, loss = tc.fit_platt_xy(f, t)
    assert a == pytest.approx(0.4, abs=0.03) and b == pytest.approx(0.9, abs=0.05)
    assert 0 < loss < 0.7
    # separable data must not blow up (a plain Newton step diverges there)
    a, b, _ = tc.fit_platt_xy(np.array([-5.0, -4.0, 4.0, 5.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    assert np.isfinite(a) and np.isfinite(b) and a > 0


def test_calibration_targets():
    from tokencensus.enrich.classify import load_mapping

    tc = _trainer()
    mapping = load_mapping()
    rows = [
        {"path": "/Computers & Electronics/Programming", "category": "Programming"},
        {"path": "/Health", "category": "Health"},
    ]
    scores = [
        {"/Computers & Electronics/Programming": 0.3, "/Finance": 0.1},
        {"/Finance": 0.6, "/Health": 0.2},  # top label wrong
    ]
    f, t = tc.platt_pairs(rows, scores, mapping, "top")
    assert list(t) == [1.0, 0.0]  # one example a prompt: is the top label's category right
    assert f[0] == pytest.approx(math.log(0.3 / 0.7)) and f[1] == pytest.approx(math.log(1.5))
    f, t = tc.platt_pairs(rows, scores, mapping, "pairs")
    assert sorted(t) == [0.0, 0.0, 1.0, 1.0]  # every (prompt, path) pair
