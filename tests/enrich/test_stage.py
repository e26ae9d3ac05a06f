from __future__ import annotations

import pyarrow as pa
import pytest

from tokencensus.enrich.classify import classify_events, get_backend, keep_labels
from tokencensus.enrich.classify.backends.base import ClassifierError
from tokencensus.errors import ConfigError, InputError
from tokencensus.schema import EVENT_SCHEMA


def _table(prompts, ids=None):
    ids = ids if ids is not None else [f"id{i}" for i in range(len(prompts))]
    return pa.table(
        {"id": pa.array(ids, pa.string()), "prompt": prompts, "model": ["m"] * len(prompts)}
    )


def test_stage_adds_canonical_columns_and_drops_text(keyword_backend):
    t = _table(["please write code for me", "a poem about rain", "what's for dinner tonight"])
    out = classify_events(t, rate=1.0, backend=keyword_backend, detect_language=False)
    assert "prompt" not in out.column_names
    for name in ("prompt_language", "categories", "sampled"):
        assert out.schema.field(name).type == EVENT_SCHEMA.field(name).type
    rows = out.to_pylist()
    # ancestors of kept labels are dropped, most confident first, below-threshold labels gone
    assert rows[0]["categories"] == [
        {"path": "/Computers & Electronics/Programming", "confidence": 0.9}
    ]
    assert rows[1]["categories"] == [{"path": "/Books & Literature/Poetry", "confidence": 0.8}]
    assert rows[2]["categories"] == []
    assert all(r["sampled"] for r in rows)


def test_stage_samples_by_rate_and_only_sends_sampled_text(keyword_backend):
    t = _table([f"code number {i} " + "x" * 1500 for i in range(400)])
    out = classify_events(t, rate=0.1, backend=keyword_backend, detect_language=False)
    sampled = out.column("sampled").to_pylist()
    cats = out.column("categories").to_pylist()
    assert 15 < sum(sampled) < 70
    assert all((c is not None) == s for c, s in zip(cats, sampled, strict=False))
    assert len(keyword_backend.seen) == sum(sampled)
    assert max(len(s) for s in keyword_backend.seen) == 1000  # first 1,000 characters only


def test_stage_reports_bad_rows_with_row_and_field(keyword_backend):
    t = _table(["fine code", "", "   ", None, "more code"], ids=["a", "b", "c", "d", None])
    issues = []
    out = classify_events(
        t, rate=1.0, backend=keyword_backend, detect_language=False, issues=issues
    )
    assert [str(i) for i in issues] == [
        "row 1: field 'prompt' is empty",
        "row 2: field 'prompt' is empty",
        "row 4: field 'id' is missing or not a string (saw None); row not sampled",
    ]
    assert out.column("sampled").to_pylist() == [True, False, False, False, False]


def test_stage_non_string_text_is_reported(keyword_backend):
    t = pa.table({"id": ["a", "b"], "prompt": [1, 2]})
    issues = []
    classify_events(t, rate=1.0, backend=keyword_backend, detect_language=False, issues=issues)
    assert str(issues[0]) == "row 0: field 'prompt' is not a string (saw int 1)"


def test_stage_raise_mode(keyword_backend):
    t = _table(["", "code"])
    with pytest.raises(
        InputError,
        match=r"1 bad row\(s\): row 0: field 'prompt' is empty\. Fix them, or pass on_bad_row='skip'\.",
    ):
        classify_events(t, rate=1.0, backend=keyword_backend, on_bad_row="raise")


def test_stage_missing_column():
    with pytest.raises(
        InputError, match="The table has no column 'text' \\(columns: id, prompt, model\\)"
    ):
        classify_events(_table(["x"]), text_column="text")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_bad_row": "ignore"}, "on_bad_row must be 'skip' or 'raise'"),
        ({"threshold": 0}, "threshold must be in \\(0, 1\\]"),
        ({"rate": 2}, "Sample rate must be a number"),
    ],
)
def test_stage_bad_options(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        classify_events(_table(["x"]), **kwargs)


def test_stage_replaces_existing_label_columns(keyword_backend):
    t = _table(["code"]).append_column("sampled", pa.array([None], pa.bool_()))
    out = classify_events(t, rate=1.0, backend=keyword_backend, detect_language=False)
    assert out.column_names.count("sampled") == 1
    assert out.column("sampled").to_pylist() == [True]


def test_backend_returning_wrong_count_is_an_error():
    class Broken:
        name = "broken"

        def classify(self, texts, ids):
            return []

    with pytest.raises(
        ClassifierError, match="Backend 'broken' returned 0 label lists for 1 prompts"
    ):
        classify_events(_table(["x"]), rate=1.0, backend=Broken(), detect_language=False)


def test_get_backend_errors():
    with pytest.raises(
        ConfigError,
        match=r"Unknown classifier backend 'ofline'; use one of offline, google, labels. Did you mean offline?",
    ):
        get_backend("ofline")
    with pytest.raises(ConfigError, match="has no classify"):
        get_backend(object())


def test_keep_labels_threshold_and_order():
    assert keep_labels([("/A", 0.5), ("/B", 0.49), ("/C", 0.8)]) == [("/C", 0.8), ("/A", 0.5)]


def test_offline_backend_end_to_end():
    t = _table(
        [
            "Fix this Python function, it raises IndexError: list index out of range when I loop over the array.",
            "Translate into German: the invoice is attached to this email.",
            "写一个Python函数来排序列表",
        ]
    )
    out = classify_events(t, rate=1.0)
    rows = out.to_pylist()
    assert rows[0]["categories"][0]["path"].startswith("/Computers & Electronics/Programming")
    assert rows[1]["categories"][0]["path"].startswith("/Reference/Language Resources")
    assert [r["prompt_language"] for r in rows] == ["en", "en", "zh-Hans"]


def test_offline_backend_bad_model_path(tmp_path):
    with pytest.raises(ConfigError, match=r"Classifier model .* does not exist"):
        get_backend("offline", model_path=tmp_path / "none.ftz")
    bad = tmp_path / "bad.ftz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="Could not load classifier model"):
        get_backend("offline", model_path=bad)
