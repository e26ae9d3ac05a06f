"""Build the labelled prompt set used to train and evaluate the offline classifier.

Sources (all under ``benchmarks/data/prompts``; see SOURCE.md there):

* ``en/*.txt``  -- English prompts written for this project, one per line, under
  ``@ /taxonomy/path`` headers.  ``\\n`` in a line stands for a newline.
* ``ml/<lang>.txt`` -- prompts written for this project in 12 languages (+ zh-Hant),
  each >= 20 words (or >= 30 characters for zh/ja/th).  They share scenarios across
  languages (translations of one another), so they are **test-only**: training on one
  language's version would leak the scenario into the others.
* ``gen/*.txt`` -- **training-only** prompts composed from frames and slot lists written for
  this project (``% frames`` / ``% slot`` sections under ``@ /path`` headers).  They are
  templated, so none of them is ever used for evaluation.
* ``fresh/<lang>.txt`` -- **test-only** prompts written last, after every training file and
  hyper-parameter choice of the current model, in English and 11 more languages, mixing chat,
  application, coding-agent and role-play traffic.  Nothing is tuned on them: they are scored
  once per trained model (``test_fresh.jsonl``).
* ``external/`` -- MT-Bench and Vicuna-Bench questions (Apache-2.0), test-only, with their
  labels mapped to ours by ``external/label_map.csv``.
* ``authors/<ID>.txt`` and ``authors/<ID>.<lang>.txt`` -- hand-written prompts, one file (or
  one file a language) per deliberately different author persona (A: terse developer/ops
  engineer, B: student / non-native English speaker, C: professional writer / business user,
  D: hobbyist role-player / fan-fiction writer, E: native speakers of 11 languages).  Same
  format as ``en/``.  They are **training** data for the shipped model and the material of
  the leave-one-author-out evaluation (``train_classifier.py --cross-author``): every row
  carries its ``author``, and that author's rows are held out of the model that scores them.

Split rule for ``en``: a prompt goes to test when ``crc32(text) % 10 < 3`` (30 %).  Every
``en`` prompt is hand-written and distinct (no templates), so no near-duplicates can
straddle the split.

Every row has an ``author`` field: the persona id for ``authors/``, ``en`` for the first
hand-written set, ``heldout`` / ``ml`` / ``external`` for the test-only sets, ``gen`` for the
generators.

Run ``python benchmarks/prompt_set.py`` to (re)write ``train.jsonl``, ``test.jsonl``,
``test_multilingual.jsonl``, ``test_external.jsonl`` and ``test_fresh.jsonl``.
"""

from __future__ import annotations

import csv
import json
import random
import re
import zlib
from pathlib import Path

from tokencensus.enrich.classify.taxonomy import load_mapping

HERE = Path(__file__).parent / "data" / "prompts"


def read_prompt_file(path: Path) -> list[tuple[str, str]]:
    """(taxonomy path, text) pairs from one ``@ /path`` + one-prompt-a-line file."""
    rows: list[tuple[str, str]] = []
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@ "):
            current = line[2:].strip()
            continue
        if current is None:
            raise ValueError(f"{path}: prompt before the first '@ /path' header")
        rows.append((current, line.replace("\\n", "\n")))
    return rows


GEN_PER_PATH = 160
MAX_TRAIN_CHARS = 1000  # the classifier only ever sees the first 1,000 characters
_SLOT = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
_MAX_DEPTH = 6


def _expand(template: str, slots: dict[str, list[str]], rng: random.Random, depth: int = 0) -> str:
    """Fill ``{slot}`` references with a random value, recursively (values may hold slots)."""
    if depth > _MAX_DEPTH:
        return template
    return _SLOT.sub(
        lambda m: (
            _expand(rng.choice(slots[m.group(1)]), slots, rng, depth + 1)
            if m.group(1) in slots
            else m.group(0)
        ),
        template,
    )


def read_gen_file(
    path: Path, seed: int = 0, common: dict[str, list[str]] | None = None
) -> list[tuple[str, str]]:
    """(taxonomy path, text) pairs composed from one frames-and-slots file (training only).

    A file is a list of ``@ /taxonomy/path`` blocks, each with ``% name`` sections of one
    value a line: ``% frames`` (required) are the prompt templates, other sections are slot
    pools referenced as ``{name}`` (values may reference slots too; ``~`` is the empty
    string), and ``% =count`` optionally holds how many distinct prompts to compose
    (default :data:`GEN_PER_PATH`).  A block headed ``@ *`` holds slot pools shared by every
    block of the file (a block's own pool of the same name wins), on top of ``common`` (the
    ``@ *`` pools of the folder's ``_common.txt``).  ``{{x}}`` stays literal.
    """
    blocks: list[tuple[str, dict[str, list[str]]]] = []
    shared: dict[str, list[str]] = dict(common or {})
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@ "):
            blocks.append((line[2:].strip(), {}))
            section = None
        elif line.startswith("% "):
            section = line[2:].strip()
            blocks[-1][1][section] = []
        else:
            if section is None:
                raise ValueError(f"{path}: value {line[:40]!r} before a '% section' header")
            # a value keeps its own leading/trailing spaces ("Hi! ", " Thanks!")
            value = "" if line == "~" else raw.rstrip("\r\n").replace("\\n", "\n")
            blocks[-1][1][section].append(value)
    rows = []
    for tax_path, own in blocks:
        if tax_path == "*":
            if "frames" in own:
                raise ValueError(f"{path}: the shared '@ *' block must not hold frames")
            shared.update(own)
    for b, (tax_path, own) in enumerate(blocks):
        if tax_path == "*":
            continue
        slots = {**shared, **own}
        count = int(slots.pop("=count", [GEN_PER_PATH])[0])
        rng = random.Random(f"{seed}:{path.name}:{b}:{tax_path}")
        frames = own["frames"]
        seen: set[str] = set()
        for _ in range(count * 4):
            text = _expand(rng.choice(frames), slots, rng).strip()
            text = re.sub(r"[ \t]{2,}", " ", text)
            if text and text not in seen:
                seen.add(text)
                rows.append((tax_path, text))
            if len(seen) >= count:
                break
    return rows


def read_common_file(path: Path) -> dict[str, list[str]]:
    """The slot pools of a folder's ``_common.txt`` (one ``@ *`` block)."""
    pools: dict[str, list[str]] = {}
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("@ "):
            continue
        if line.startswith("% "):
            section = line[2:].strip()
            pools[section] = []
        elif section is not None:
            pools[section].append("" if line == "~" else raw.rstrip("\r\n").replace("\\n", "\n"))
    return pools


def _row(
    source: str, n: int, tax_path: str, text: str, lang: str, mapping, author: str = ""
) -> dict:
    return {
        "id": f"{source}-{n:04d}",
        "text": text,
        "path": tax_path,
        "category": mapping.category(tax_path),
        "lang": lang,
        "source": source,
        "author": author or source.split("-", 1)[0],
    }


def author_files(folder: Path = HERE / "authors") -> list[tuple[Path, str, str]]:
    """(file, author id, language) of every ``authors/<ID>[.<lang>].txt`` file, sorted."""
    out = []
    for f in sorted(folder.glob("*.txt")):
        author, _, lang = f.stem.partition(".")
        out.append((f, author, lang or "en"))
    return out


def build() -> dict[str, list[dict]]:
    mapping = load_mapping()
    out: dict[str, list[dict]] = {
        "train": [],
        "test": [],
        "test_multilingual": [],
        "test_external": [],
        "test_fresh": [],
    }
    for f in sorted((HERE / "en").glob("*.txt")):
        for n, (p, text) in enumerate(read_prompt_file(f)):
            row = _row(f"en-{f.stem}", n, p, text, "en", mapping)
            split = "test" if zlib.crc32(text.encode()) % 10 < 3 else "train"
            out[split].append(row)
    for f, author, lang in author_files():
        source = f"author-{author}" + (f"-{lang}" if lang != "en" else "")
        for n, (p, text) in enumerate(read_prompt_file(f)):
            out["train"].append(_row(source, n, p, text, lang, mapping, author=author))
    for f in sorted((HERE / "heldout").glob("*.txt")):
        for n, (p, text) in enumerate(read_prompt_file(f)):
            out["test"].append(_row(f"heldout-{f.stem}", n, p, text, f.stem, mapping))
    gen_files = [(f, "en") for f in sorted((HERE / "gen").glob("*.txt"))]
    gen_files += [
        (f, d.name)
        for d in sorted(p for p in (HERE / "gen").iterdir() if p.is_dir())
        for f in sorted(d.glob("*.txt"))
    ]
    for f, lang in gen_files:
        if f.name.startswith("_"):
            continue
        common_file = f.parent / "_common.txt"
        common = {}
        if common_file.is_file():
            common = read_common_file(common_file)
        stem = f.stem if lang == "en" and f.parent.name == "gen" else f"{lang}-{f.stem}"
        for n, (p, text) in enumerate(read_gen_file(f, common=common)):
            out["train"].append(_row(f"gen-{stem}", n, p, text[:MAX_TRAIN_CHARS], lang, mapping))
    for f in sorted((HERE / "fresh").glob("*.txt")):
        for n, (p, text) in enumerate(read_prompt_file(f)):
            out["test_fresh"].append(_row(f"fresh-{f.stem}", n, p, text, f.stem, mapping))
    for f in sorted((HERE / "ml").glob("*.txt")):
        for n, (p, text) in enumerate(read_prompt_file(f)):
            out["test_multilingual"].append(_row(f"ml-{f.stem}", n, p, text, f.stem, mapping))
    label_map = {}
    with open(HERE / "external" / "label_map.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            label_map[(r["dataset"], r["label"])] = r["category"]
    for ds in ("mt_bench", "vicuna_bench"):
        with open(HERE / "external" / ds / "question.jsonl", encoding="utf-8") as fh:
            for line in fh:
                q = json.loads(line)
                cat = label_map.get((ds, q["category"]), "")
                if not cat:
                    continue  # label with no defensible category: left out (see label_map.csv)
                out["test_external"].append(
                    {
                        "id": f"{ds}-{q['question_id']}",
                        "text": q["turns"][0],
                        "path": "",
                        "category": cat,
                        "lang": "en",
                        "source": f"{ds}:{q['category']}",
                        "author": "external",
                    }
                )
    return out


def main() -> None:
    sets = build()
    for name, rows in sets.items():
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} prompts")


if __name__ == "__main__":
    main()
