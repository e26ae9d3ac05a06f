from __future__ import annotations

import json
from types import SimpleNamespace

import pyarrow as pa
import pytest

from tokencensus.enrich.classify import classify_events
from tokencensus.enrich.classify.backends.base import ClassifierError
from tokencensus.enrich.classify.backends.google import GoogleBackend, estimate_cost, units_for
from tokencensus.enrich.classify.backends.labels_file import LabelsFileBackend, read_labels_file
from tokencensus.errors import ConfigError, InputError

# --- labels file -------------------------------------------------------------------------


def test_labels_file_long_and_nested(tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text(
        json.dumps({"id": "a", "path": "/Games/Roleplaying Games", "confidence": 0.9})
        + "\n"
        + json.dumps({"id": "a", "path": "/Adult", "confidence": 0.6})
        + "\n"
        + json.dumps({"id": "b", "categories": [{"path": "/Finance", "confidence": 0.7}]})
        + "\n",
        encoding="utf-8",
    )
    assert read_labels_file(f) == {
        "a": [("/Games/Roleplaying Games", 0.9), ("/Adult", 0.6)],
        "b": [("/Finance", 0.7)],
    }
    t = pa.table({"id": ["a", "b", "c"], "prompt": ["x", "y", "z"]})
    out = classify_events(
        t, rate=1.0, backend=LabelsFileBackend(f), detect_language=False
    ).to_pylist()
    assert [len(r["categories"]) for r in out] == [2, 1, 0]


def test_labels_file_csv(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("id,path,confidence\na,/Finance,0.8\n", encoding="utf-8")
    assert read_labels_file(f) == {"a": [("/Finance", 0.8)]}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"path": "/Finance", "confidence": 0.8}', "row 1: field 'id' is missing"),
        (
            '{"id": "a", "path": "Finance", "confidence": 0.8}',
            "row 1: field 'path': Bad content-category path 'Finance'",
        ),
        (
            '{"id": "a", "path": "/Finance", "confidence": 1.8}',
            r"row 1: field 'confidence' must be a number in \[0, 1\]; saw 1.8",
        ),
        (
            '{"id": "a", "label": "/Finance"}',
            "row 1: needs 'path' and 'confidence', or 'categories'",
        ),
        ("{not json", "line 1: not JSON"),
    ],
)
def test_labels_file_errors(tmp_path, line, message):
    f = tmp_path / "l.jsonl"
    f.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_labels_file(f)


def test_labels_file_missing_and_bad_extension(tmp_path):
    with pytest.raises(ConfigError, match=r"Labels file .* does not exist"):
        read_labels_file(tmp_path / "none.jsonl")
    (tmp_path / "l.txt").write_text("x")
    with pytest.raises(InputError, match=r"has extension '.txt'; use .jsonl, .csv or .parquet"):
        read_labels_file(tmp_path / "l.txt")
    with pytest.raises(ConfigError, match="The 'labels' backend needs a labels file"):
        LabelsFileBackend()


# --- google (fake client, never the network) ---------------------------------------------


class ResourceExhausted(Exception):
    pass


class PermissionDenied(Exception):
    pass


class FakeClient:
    def __init__(self, failures=()):
        self.failures = list(failures)
        self.requests = []

    def classify_text(self, request):
        self.requests.append(request)
        if self.failures:
            raise self.failures.pop(0)
        cat = SimpleNamespace(name="/Computers & Electronics/Programming", confidence=0.93)
        return SimpleNamespace(categories=[cat])


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, s):
        self.sleeps.append(s)
        self.now += s


def test_google_backend_rate_limits():
    ft = FakeTime()
    backend = GoogleBackend(
        client=FakeClient(), requests_per_minute=60, sleep=ft.sleep, clock=ft.clock
    )
    out = backend.classify(["a", "b", "c"], ["1", "2", "3"])
    assert out == [[("/Computers & Electronics/Programming", 0.93)]] * 3
    assert ft.sleeps == [1.0, 1.0]  # 60/min -> one request a second
    assert backend.client.requests[0] == {"document": {"content": "a", "type_": "PLAIN_TEXT"}}


def test_google_backend_retries_quota_errors_with_backoff():
    ft = FakeTime()
    client = FakeClient([ResourceExhausted("quota"), ResourceExhausted("quota")])
    backend = GoogleBackend(
        client=client, requests_per_minute=6000, backoff_s=2, sleep=ft.sleep, clock=ft.clock
    )
    assert backend.classify(["a"], ["1"])[0][0][1] == 0.93
    assert [s for s in ft.sleeps if s >= 2] == [2, 4]
    assert backend.requests_sent == 3


def test_google_backend_gives_up():
    ft = FakeTime()
    backend = GoogleBackend(
        client=FakeClient([ResourceExhausted("quota")] * 3),
        max_retries=2,
        sleep=ft.sleep,
        clock=ft.clock,
    )
    with pytest.raises(
        ClassifierError,
        match=r"classifyText failed with ResourceExhausted: quota \(after 2 retries\)",
    ):
        backend.classify(["a"], ["1"])
    backend = GoogleBackend(
        client=FakeClient([PermissionDenied("no key")]), sleep=ft.sleep, clock=ft.clock
    )
    with pytest.raises(
        ClassifierError,
        match=r"classifyText failed with PermissionDenied: no key. Check credentials",
    ):
        backend.classify(["a"], ["1"])


def test_google_backend_option_errors():
    with pytest.raises(ConfigError, match="requests_per_minute must be > 0"):
        GoogleBackend(client=FakeClient(), requests_per_minute=0)
    with pytest.raises(ConfigError, match="max_retries must be >= 0"):
        GoogleBackend(client=FakeClient(), max_retries=-1)


def test_google_missing_extra_names_it():
    try:
        import google.cloud.language_v2  # noqa: F401
    except ImportError:
        from tokencensus.errors import MissingExtraError

        with pytest.raises(MissingExtraError, match=r"pip install 'tokencensus\[google\]'"):
            GoogleBackend()
    else:  # pragma: no cover
        pytest.skip("google-cloud-language is installed")


def test_cost_estimate_units_and_tiers():
    assert units_for("x" * 999) == 1
    assert units_for("x" * 1001) == 1  # the stage sends at most 1,000 characters
    assert units_for("x" * 1500, max_chars=2000) == 2
    est = estimate_cost(["x" * 800] * 40_000)
    assert est.units == 40_000
    assert est.usd == pytest.approx(10_000 / 1000 * 2.00)
    assert est.tiers[0][1] == 30_000 and est.tiers[0][2] == 0
    assert "40,000 prompts -> 40,000 classifyText units, estimated $20.00" in str(est)
    later = estimate_cost(["x"] * 10, already_used_units=300_000)
    assert later.usd == pytest.approx(10 / 1000 * 0.50)
