"""Reading canonical files: every rejection reason pinned, good rows kept, nothing counted twice."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tokencensus.errors import InputError
from tokencensus.ingest.reader import read_events

HEADER = "id,created_at,user_id,model,prompt_tokens,completion_tokens,cost_usd"
GOOD = "g{i},2025-03-0{d}T10:00:00Z,u1,openai/gpt-4o-mini,100,20,0.001"


def read(tmp_path: Path, *files: Path):
    summary = read_events(list(files), tmp_path / "staging", tmp_path / "quarantine.jsonl")
    quarantine = []
    if summary.quarantine_path.exists():
        quarantine = [json.loads(line) for line in summary.quarantine_path.read_text().splitlines()]
    staged = pq.read_table(summary.staging_dir) if summary.loaded else None
    return summary, quarantine, staged


def write_csv(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


# (extra column header, value, field, reason) — one bad row per rejection reason
CASES = [
    ("", "g9,,u1,m,1,1,0", "created_at", "missing required field"),
    ("", ",2025-03-01,u1,m,1,1,0", "id", "missing required field"),
    ("", "g9,2025-03-01,,m,1,1,0", "user_id", "missing required field"),
    ("", "g9,2025-03-01,u1,,1,1,0", "model", "missing required field"),
    ("", "g9,2025-03-01,u1,m,,1,0", "prompt_tokens", "missing required field"),
    ("", "g9,2025-03-01,u1,m,1,1,", "cost_usd", "missing required field"),
    ("", "g9,yesterday,u1,m,1,1,0", "created_at", "not a valid timestamp: 'yesterday'"),
    (
        "",
        "g9,2025-02-30T00:00:00,u1,m,1,1,0",
        "created_at",
        "not a valid timestamp: '2025-02-30T00:00:00'",
    ),
    (
        "",
        "g9,1999-12-31,u1,m,1,1,0",
        "created_at",
        "timestamp out of range (2000-2100): '1999-12-31'",
    ),
    ("", "g9,2025-03-01,u1,m,-5,1,0", "prompt_tokens", "negative value: '-5'"),
    ("", "g9,2025-03-01,u1,m,1,2.5,0", "completion_tokens", "not an integer: '2.5'"),
    ("", "g9,2025-03-01,u1,m,many,1,0", "prompt_tokens", "not a number: 'many'"),
    ("", "g9,2025-03-01,u1,m,1,1,-0.5", "cost_usd", "negative value: '-0.5'"),
    ("", "g9,2025-03-01,u1,m,1,1,inf", "cost_usd", "not a finite number: 'inf'"),
    (
        "finish_reason",
        "g9,2025-03-01,u1,m,1,1,0,tool_use",
        "finish_reason",
        "unknown finish reason: 'tool_use' (expected one of stop, length, tool_calls, "
        "content_filter, error, cancelled, other)",
    ),
    (
        "billing_country",
        "g9,2025-03-01,u1,m,1,1,0,USA",
        "billing_country",
        "unknown country code: 'USA' (expected an ISO 3166-1 alpha-2 code such as US)",
    ),
    (
        "prompt_language",
        "g9,2025-03-01,u1,m,1,1,0,english",
        "prompt_language",
        "unknown language code: 'english' (expected an ISO 639-1 code, zh-Hans or zh-Hant)",
    ),
    ("streamed", "g9,2025-03-01,u1,m,1,1,0,maybe", "streamed", "not a boolean: 'maybe'"),
    (
        "reasoning_tokens",
        "g9,2025-03-01,u1,m,1,10,0,11",
        "reasoning_tokens",
        "reasoning_tokens (11) exceeds completion_tokens (10)",
    ),
    (
        "cached_tokens",
        "g9,2025-03-01,u1,m,5,1,0,6",
        "cached_tokens",
        "cached_tokens (6) exceeds prompt_tokens (5)",
    ),
    (
        "categories",
        'g9,2025-03-01,u1,m,1,1,0,"[{""path"": ""/Games"", ""confidence"": 1.5}]"',
        "categories",
        "label 0 confidence 1.5 outside [0, 1]",
    ),
    (
        "categories",
        'g9,2025-03-01,u1,m,1,1,0,"[{""path"": ""Games"", ""confidence"": 0.9}]"',
        "categories",
        "label 0 path must be a string starting with '/': 'Games'",
    ),
    (
        "categories",
        "g9,2025-03-01,u1,m,1,1,0,{oops",
        "categories",
        "not valid JSON: Expecting property name enclosed in double quotes in '{oops'",
    ),
    (
        "categories",
        'g9,2025-03-01,u1,m,1,1,0,"{""path"": ""/Games""}"',
        "categories",
        "not a list of {path, confidence} labels: \"{'path': '/Games'}\"",
    ),
    (
        "categories",
        'g9,2025-03-01,u1,m,1,1,0,"[{""path"": ""/Games""}]"',
        "categories",
        "label 0 is not a {path, confidence} object: \"{'path': '/Games'}\"",
    ),
    (
        "categories",
        'g9,2025-03-01,u1,m,1,1,0,"[{""path"": ""/Games"", ""confidence"": ""high""}]"',
        "categories",
        "label 0 confidence is not a number: 'high'",
    ),
    (
        "",
        "g9,2025-03-01,u1,m,10000000000000000000,1,0",
        "prompt_tokens",
        "too large: '10000000000000000000'",
    ),
    ("", "g9,2025-03-01,u1", "<record>", "expected 7 fields, found 3"),
    ("", 'g9,"2025-03-01,u1,m,1,1,0', "<record>", "malformed CSV: a quoted field is never closed"),
]


@pytest.mark.parametrize(("extra", "bad", "field", "reason"), CASES)
def test_each_rejection_reason(tmp_path, extra, bad, field, reason):
    header = HEADER + ("," + extra if extra else "")
    pad = "," if extra else ""
    good = [GOOD.format(i=i, d=i) + pad for i in (1, 2)]
    path = write_csv(tmp_path / "events.csv", good[0], bad, good[1], header=header)
    summary, quarantine, staged = read(tmp_path, path)
    assert summary.read == 3 and summary.loaded == 2 and summary.quarantined == 1
    assert staged.column("id").to_pylist() == ["g1", "g2"]
    (rejected,) = quarantine
    assert rejected["file"] == str(path)
    assert rejected["line"] == 3  # header is line 1, the bad row is the second data row
    assert rejected["field"] == field
    assert rejected["reason"] == reason


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (
            b'{"id": "g9", oops}',
            "malformed JSON near line 3: Expecting property name enclosed in double quotes",
        ),
        (b"[1, 2]", "not a JSON object (found list)"),
    ],
)
def test_json_array_element_rejections(tmp_path, damage, reason):
    """A damaged element of a JSON array is rejected alone; the elements after it load."""
    items = [_json_line(1), damage, _json_line(2)]
    path = tmp_path / "e.json"
    path.write_bytes(b"[\n" + b",\n".join(items) + b"\n]\n")
    summary, quarantine, staged = read(tmp_path, path)
    assert (summary.read, summary.loaded) == (3, 2)
    assert staged.column("id").to_pylist() == ["g1", "g2"]
    assert [(q["item"], q["field"], q["reason"]) for q in quarantine] == [(2, "<record>", reason)]


def test_malformed_csv_records_are_rejected_alone(tmp_path):
    """A file with an unclosed quote is read record by record, so a record the csv module
    cannot parse is named too (a file whose lines all balance their quotes goes to Arrow)."""
    path = write_csv(
        tmp_path / "e.csv",
        GOOD.format(i=1, d=1),
        'g8,"2025-03-01"x,u1,m,1,1,0',
        'g9,"2025-03-01,u1,m,1,1,0',
        GOOD.format(i=2, d=2),
    )
    summary, quarantine, staged = read(tmp_path, path)
    assert (summary.read, summary.loaded) == (4, 2)
    assert staged.column("id").to_pylist() == ["g1", "g2"]
    assert [(q["line"], q["field"], q["reason"]) for q in quarantine] == [
        (3, "<record>", "malformed CSV: ',' expected after '\"'"),
        (4, "<record>", "malformed CSV: a quoted field is never closed"),
    ]
    assert quarantine[1]["record"] == 'g9,"2025-03-01,u1,m,1,1,0'


def test_json_document_that_is_no_object_or_array():
    """Pinned on the function: json_records only parses a whole document when its text starts
    with '[' or '{', so no file reaches this message through it today."""
    from tokencensus.ingest.sources.files import _document_records

    ((records, (rejection,), unit),) = _document_records(Path("e.json"), 42, True, 10)
    assert (records, unit, rejection.position) == ([], "item", 1)
    assert [(e.field, e.reason) for e in rejection.errors] == [
        ("<record>", "not a JSON object or array")
    ]


def test_message_names_file_line_and_field(tmp_path):
    path = write_csv(tmp_path / "e.csv", GOOD.format(i=1, d=1), "g2,2025-03-01,u1,m,1,2.5,0")
    summary, _, _ = read(tmp_path, path)
    assert summary.quarantine_examples == [
        f"{path} line 3, field 'completion_tokens': not an integer: '2.5'"
    ]


def test_all_problems_of_a_row_are_listed(tmp_path):
    path = write_csv(tmp_path / "e.csv", GOOD.format(i=1, d=1), "g2,soon,u1,m,-1,x,0")
    _, (rejected,), _ = read(tmp_path, path)
    assert [e["field"] for e in rejected["errors"]] == [
        "created_at",
        "prompt_tokens",
        "completion_tokens",
    ]
    assert rejected["record"]["created_at"] == "soon"


def test_values_are_normalized(tmp_path):
    header = HEADER + ",finish_reason,billing_country,prompt_language,streamed,latency_ms"
    row = "g1,2025-03-01T12:00:00+02:00,u1,m,7,3,0.5,STOP,de,ZH-hans,yes,12.5"
    _, quarantine, staged = read(tmp_path, write_csv(tmp_path / "e.csv", row, header=header))
    assert quarantine == []
    rec = staged.to_pylist()[0]
    assert str(rec["created_at"]) == "2025-03-01 10:00:00"  # UTC
    assert (rec["finish_reason"], rec["billing_country"], rec["prompt_language"]) == (
        "stop",
        "DE",
        "zh-Hans",
    )
    assert rec["streamed"] is True and rec["latency_ms"] == 12.5
    assert rec["reasoning_tokens"] == 0 and rec["is_byok"] is False and rec["sampled"] is False


def test_jsonl_bad_lines_and_types(tmp_path):
    good = {"id": "a", "created_at": "2025-03-01T00:00:00Z", "user_id": "u", "model": "m",
            "prompt_tokens": 5, "completion_tokens": 1, "cost_usd": 0.1,
            "categories": [{"path": "/Games/Roleplaying Games", "confidence": 0.8}]}  # fmt: skip
    lines = [
        json.dumps(good),
        "{truncated",
        json.dumps([1, 2]),
        json.dumps({**good, "id": "b", "prompt_tokens": "lots"}),
        "",
        json.dumps({**good, "id": "c"}),
    ]
    path = tmp_path / "e.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    summary, quarantine, staged = read(tmp_path, path)
    assert staged.column("id").to_pylist() == ["a", "c"]
    assert staged.column("sampled").to_pylist() == [True, True]
    assert staged.column("categories").to_pylist()[0] == [
        {"path": "/Games/Roleplaying Games", "confidence": 0.8}
    ]
    got = sorted((q["line"], q["field"], q["reason"]) for q in quarantine)
    assert got == [
        (
            2,
            "<record>",
            "malformed JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        (3, "<record>", "not a JSON object (found list)"),
        (4, "prompt_tokens", "not a number: 'lots'"),
        (7, "<record>", "not valid UTF-8 (byte 0)"),
    ]
    assert summary.read == 6 and summary.loaded == 2


def test_parquet_typed_columns(tmp_path):
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "created_at": pa.array([1740787200, 1740787200, 1740787200], pa.int64()),
            "user_id": ["u", "u", "u"],
            "model": ["m", "m", "m"],
            "prompt_tokens": pa.array([1, -1, 3], pa.int64()),
            "completion_tokens": pa.array([1.0, 2.0, 3.5]),
            "cost_usd": [0.0, 0.0, 0.0],
            "extra_col": [1, 2, 3],
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    summary, quarantine, staged = read(tmp_path, tmp_path / "e.parquet")
    assert staged.column("id").to_pylist() == ["a"]
    assert str(staged.column("created_at")[0]) == "2025-03-01 00:00:00"
    assert [(q["row"], q["field"], q["reason"]) for q in quarantine] == [
        (2, "prompt_tokens", "negative value: '-1'"),
        (3, "completion_tokens", "not an integer: '3.5'"),
    ]
    assert summary.files[0].ignored_columns == ["extra_col"]


def test_gzip_csv_and_folders(tmp_path):
    folder = tmp_path / "logs"
    (folder / "day2").mkdir(parents=True)
    write_csv(folder / "a.csv", GOOD.format(i=1, d=1))
    with gzip.open(folder / "day2" / "b.csv.gz", "wt") as fh:
        fh.write(HEADER + "\n" + GOOD.format(i=2, d=2) + "\n")
    (folder / "notes.txt").write_text("ignored")
    summary, _, staged = read(tmp_path, folder)
    assert sorted(staged.column("id").to_pylist()) == ["g1", "g2"]
    assert len(summary.files) == 2


def test_same_file_twice_is_read_once(tmp_path):
    path = write_csv(tmp_path / "e.csv", GOOD.format(i=1, d=1))
    summary, _, _ = read(tmp_path, path, tmp_path / "e.csv", tmp_path / "*.csv")
    assert len(summary.files) == 1 and summary.loaded == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "id,model\na,m\n",
            "missing required columns 'created_at', 'user_id', 'prompt_tokens', 'completion_tokens', 'cost_usd'",
        ),
        ("", "empty file (no CSV header)"),
    ],
)
def test_unusable_files(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_text(content)
    with pytest.raises(
        InputError, match="e.csv: " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        read(tmp_path, path)


JSON_RECORD = {"created_at": "2025-03-01T10:00:00Z", "user_id": "u", "model": "m",
               "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.0}  # fmt: skip


def _json_line(i: int) -> bytes:
    return json.dumps({"id": f"g{i}", **JSON_RECORD}).encode()


@pytest.mark.parametrize("shape", ["csv", "jsonl", "jsonl-nested", "json-array"])
def test_one_invalid_utf8_byte_loses_only_its_line(tmp_path, shape):
    """300 records, one with a Latin-1 byte: it alone is quarantined (file, line, reason)."""
    if shape == "csv":
        lines = [f"g{i},2025-03-01T10:00:00Z,u1,m,1,1,0".encode() for i in range(300)]
        lines[150] = b"g150,2025-03-01T10:00:00Z,\xfc1,m,1,1,0"
        data, bad_pos, byte = HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n", 152, 26
        path = tmp_path / "e.csv"
    else:
        lines = [_json_line(i) for i in range(300)]
        if shape == "jsonl-nested":  # inside a label of the nested categories column
            labels = ',"categories": [{"path": "/\xfcber", "confidence": 0.5}]}'
            lines[150] = lines[150][:-1] + labels.encode("latin-1")
        else:
            lines[150] = lines[150].replace(b'"u"', b'"\xfc"')
        byte = lines[150].index(b"\xfc")
        if shape == "json-array":
            data, bad_pos = b"[\n" + b",\n".join(lines) + b"\n]\n", 151
            path = tmp_path / "e.json"
        else:
            data, bad_pos = b"\n".join(lines) + b"\n", 151
            path = tmp_path / "e.jsonl"
    path.write_bytes(data)
    summary, quarantine, staged = read(tmp_path, path)
    assert (summary.read, summary.loaded, summary.quarantined) == (300, 299, 1)
    assert "g150" not in staged.column("id").to_pylist()
    (rejected,) = quarantine
    unit = "item" if shape == "json-array" else "line"
    assert (rejected["file"], rejected[unit], rejected["field"]) == (str(path), bad_pos, "<record>")
    expected = "not valid UTF-8" if shape == "json-array" else f"not valid UTF-8 (byte {byte})"
    assert rejected["reason"] == expected


def test_csv_header_not_utf8_is_unusable(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes((HEADER + ",p\xfcnkt\n" + GOOD.format(i=1, d=1) + ",x\n").encode("latin-1"))
    with pytest.raises(
        InputError,
        match=r"e.csv: the CSV header is not valid UTF-8\. Re-encode the file as UTF-8\.",
    ):
        read(tmp_path, path)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.csv", "Input {tmp}/missing.csv does not exist."),
        ("*.nothing", "No Parquet, CSV or JSONL file matches '{tmp}/*.nothing'."),
        ("notes.txt", "{tmp}/notes.txt: unknown file type."),
    ],
)
def test_bad_input_paths(tmp_path, spec, message):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError) as err:
        read(tmp_path, tmp_path / spec)
    assert str(err.value).startswith(message.format(tmp=tmp_path))


# ------------------------------------------------------------- damaged gzip
def _damaged_gzip(path: Path, text: str, damage: str) -> Path:
    data = bytearray(gzip.compress(text.encode("utf-8")))
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "crc":
        data[-8] ^= 0xFF  # the stored CRC-32 of the data
    elif damage == "deflate":
        data[12] ^= 0xFF  # the first deflate block's header
        data[13] ^= 0xFF
    elif damage == "not-gzip":
        data = bytearray(text.encode("utf-8"))
    path.write_bytes(bytes(data))
    return path


def _lines_before_break(path: Path) -> int:
    complete = 0
    try:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                complete += line.endswith(b"\n")
    except (EOFError, zlib.error, gzip.BadGzipFile):
        pass
    return complete


#: damage -> what the message says (``{line}``: the first line the data does not give in full)
GZIP_DAMAGE = {
    "truncated": "its compressed data ends early, in line {line} (the file is truncated)",
    "crc": "CRC check failed",
    "deflate": "corrupt compressed data near line 1 (Error -3 while decompressing data",
    "not-gzip": "it is not gzip-compressed although its name ends in .gz",
}


@pytest.mark.parametrize("damage", sorted(GZIP_DAMAGE))
@pytest.mark.parametrize("suffix", [".csv.gz", ".jsonl.gz"])
def test_damaged_gzip_names_the_file_and_line(tmp_path, damage, suffix):
    """Never a bare 'Aborted.' (EOFError) or a zlib.error traceback."""
    if suffix == ".csv.gz":
        text = HEADER + "\n" + "".join(GOOD.format(i=i, d=1) + "\n" for i in range(3000))
    else:
        record = {"created_at": "2025-03-01T10:00:00Z", "user_id": "u", "model": "m",
                  "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.0}  # fmt: skip
        text = "".join(json.dumps({"id": f"g{i}", **record}) + "\n" for i in range(3000))
    path = _damaged_gzip(tmp_path / f"events{suffix}", text, damage)
    with pytest.raises(InputError) as err:
        read(tmp_path, path)
    message = str(err.value)
    expected = GZIP_DAMAGE[damage].format(line=_lines_before_break(path) + 1)
    assert message.startswith(f"{path}: damaged gzip file: {expected}")
    assert message.endswith("Nothing was loaded; re-create or re-download the file and run again.")
    if damage == "truncated":
        assert 1 < _lines_before_break(path) < 3000  # the line is a real one, not the first
