"""Train the shipped offline prompt classifier, and compare it with the alternatives.

Needs the training build of fastText (not a tokencensus dependency) in a separate
environment, because it installs the same ``fasttext`` module as fasttext-predict:

    python -m venv /tmp/trainenv
    /tmp/trainenv/bin/pip install fasttext-numpy2 scikit-learn numpy pyarrow
    /tmp/trainenv/bin/pip install --no-deps -e .
    /tmp/trainenv/bin/python benchmarks/prompt_set.py          # writes the split files
    /tmp/trainenv/bin/python benchmarks/train_classifier.py     # writes data/prompt_model.*
    /tmp/trainenv/bin/python benchmarks/train_classifier.py --compare   # prints the table

The model is trained on ``train.jsonl`` only (built by ``prompt_set.py`` when missing: the
hand-written ``en/`` train split plus the ``gen/`` generators in 12 languages).  Each prompt's
label set is its taxonomy path plus those ancestors that roll up to the same category
(``/Books & Literature/Poetry`` also teaches ``/Books & Literature``), so the parent stays
confident when the leaf is uncertain; the loss is one-vs-all.

Decision rule (calibration): a first model is trained without the hand-written ``en-*`` train
prompts and scores them; a Platt map ``sigmoid(a * logit(p) + b)`` shared by all paths is
fitted to those (prompt, path) pairs by log loss, and written to ``prompt_model.json``.  The
shipped model (trained on every row) reports its scores through that map, and the study keeps
labels whose calibrated confidence is >= 0.5.  The out-of-fold macro-F1 of those prompts is
printed as the dev figure (``calibration.dev_macro_f1_at_0.5``): choose hyper-parameters on it,
not on the test sets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "prompts"
OUT = ROOT / "src" / "tokencensus" / "enrich" / "classify" / "data"

sys.path.insert(0, str(ROOT / "src"))

from tokencensus.enrich.classify.backends.offline import (  # noqa: E402
    META_FILE,
    MODEL_FILE,
    decode_label,
    encode_label,
    preprocess,
)
from tokencensus.enrich.classify.evaluate import primary_category, score_predictions  # noqa: E402
from tokencensus.enrich.classify.taxonomy import OTHERS, load_mapping  # noqa: E402

#: fastText hyper-parameters of the shipped model: one-vs-all sigmoids with word bigrams and
#: 2-5 character n-grams (see SOURCE.md for how they were chosen).
PARAMS = {
    "loss": "ova",
    "dim": 64,
    "epoch": 30,
    "lr": 0.5,
    "wordNgrams": 2,
    "minn": 2,
    "maxn": 5,
    "bucket": 200_000,
    "minCount": 1,
    "seed": 7,
    "thread": 1,
}

#: Rows held out of the calibration model and used to fit the Platt map: the hand-written
#: English prompts of the train split (never in any test set, never templated).
CALIBRATION_SOURCE_PREFIX = "en-"


def load(name: str) -> list[dict]:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def label_set(path: str, mapping) -> list[str]:
    """The path and its ancestors with the same category (see the module docstring)."""
    if not path:
        return []
    cat = mapping.category(path)
    parts = path.strip("/").split("/")
    out = []
    for i in range(len(parts), 0, -1):
        p = "/" + "/".join(parts[:i])
        if mapping.category(p) == cat:
            out.append(p)
    return out


def train_fasttext(rows: list[dict], params: dict, out_path: Path, quantize: bool = True):
    import fasttext

    mapping = load_mapping()
    single = params.get("loss") == "softmax"  # softmax: one leaf label a prompt
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for r in rows:
            labels = label_set(r["path"], mapping)
            if single or mapping.category(r["path"]) == OTHERS:
                labels = [r["path"]]  # long-tail paths are learned too, they roll up to Others
            fh.write(" ".join(encode_label(p) for p in labels) + " " + preprocess(r["text"]) + "\n")
        train_file = fh.name
    model = fasttext.train_supervised(input=train_file, verbose=0, **params)
    if quantize:
        model.quantize(input=train_file, retrain=True, qnorm=True, cutoff=50_000)
    model.save_model(str(out_path))
    return model


def fasttext_classifier(model_path: Path, meta: dict, min_confidence: float = 0.05):
    """The shipped backend's classify() for a model file and its metadata (the decision rule)."""
    from tokencensus.enrich.classify.backends.offline import OfflineBackend

    meta_path = model_path.with_suffix(".json")
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    backend = OfflineBackend(model_path, min_confidence=min_confidence)

    def classify(texts):
        return backend.classify([t[:1000] for t in texts], [""] * len(texts))

    return classify


def fit_platt(train: list[dict], params: dict, mapping) -> dict:
    """Fit ``sigmoid(a * logit(p) + b)`` on hand-written prompts held out of a calibration model.

    Every (prompt, path) pair is one binary example: positive when the path is in the prompt's
    label set (see :func:`label_set`).  Minimises the mean log loss on a grid of (a, b).
    """
    import numpy as np

    held = [r for r in train if r["source"].startswith(CALIBRATION_SOURCE_PREFIX)]
    rest = [r for r in train if not r["source"].startswith(CALIBRATION_SOURCE_PREFIX)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calibration.ftz"
        model = train_fasttext(rest, params, path, quantize=True)
        paths = [decode_label(lab) for lab in model.get_labels()]
        raw = fasttext_classifier(path, {}, min_confidence=0.0)
        scores = [dict(lab) for lab in raw([r["text"] for r in held])]
    x, y = [], []
    for r, sc in zip(held, scores, strict=True):
        gold = set(label_set(r["path"], mapping)) or {r["path"]}
        if mapping.category(r["path"]) == OTHERS:
            gold = {r["path"]}
        for p in paths:
            x.append(sc.get(p, 0.0))
            y.append(1.0 if p in gold else 0.0)
    xs = np.clip(np.asarray(x), 1e-6, 1 - 1e-6)
    f = np.log(xs / (1 - xs))
    t = np.asarray(y)
    best = (1.0, 0.0, float("inf"))
    for a in np.arange(0.2, 3.0001, 0.05):  # grid search: robust, and 2 parameters are cheap
        for b in np.arange(-3.0, 5.0001, 0.05):
            z = np.clip(a * f + b, -30, 30)
            loss = float(np.mean(np.logaddexp(0, z) - t * z))  # mean binary log loss
            if loss < best[2]:
                best = (float(a), float(b), loss)
    a, b, loss = best
    calibrated = [
        [(p, 1 / (1 + np.exp(-(a * np.log(c / (1 - c)) + b)))) for p, c in sc.items() if 0 < c < 1]
        for sc in scores
    ]
    dev = score_predictions(
        [r["category"] for r in held], [primary_category(lab, mapping) for lab in calibrated]
    )
    print(f"dev (calibration rows, out of fold) macro-F1 {dev.macro_f1:.3f}")
    return {
        "platt": {"a": round(float(a), 4), "b": round(float(b), 4)},
        "calibration": {
            "rows": len(held),
            "pairs": len(t),
            "fitted_on": "the hand-written train prompts (sources en-*), scored by a model "
            "trained on every other train row",
            "mean_log_loss": round(loss, 4),
            "dev_macro_f1_at_0.5": round(dev.macro_f1, 4),
        },
    }


def evaluate(classify, rows, mapping):
    texts = [r["text"][:1000] for r in rows]
    start = time.perf_counter()
    labels = classify(texts)
    secs = time.perf_counter() - start
    pred = [primary_category(lab, mapping) for lab in labels]
    return score_predictions([r["category"] for r in rows], pred, seconds=secs)


def sklearn_tfidf(train_rows):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import MultiLabelBinarizer

    mapping = load_mapping()
    ys = [label_set(r["path"], mapping) or [r["path"]] for r in train_rows]
    mlb = MultiLabelBinarizer()
    y = mlb.fit_transform(ys)
    vec = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
    )
    clf = make_pipeline(vec, OneVsRestClassifier(LogisticRegression(C=20, max_iter=2000)))
    clf.fit([r["text"] for r in train_rows], y)

    def classify(texts):
        probs = clf.predict_proba(texts)
        return [
            [(mlb.classes_[j], float(p[j])) for j in range(len(p)) if p[j] >= 0.05] for p in probs
        ]

    return classify


def keyword_baseline(train_rows):
    """Most frequent category per distinctive word: the floor any model must beat."""
    from collections import Counter, defaultdict

    mapping = load_mapping()
    word_cat: dict[str, Counter] = defaultdict(Counter)
    for r in train_rows:
        for w in set(preprocess(r["text"]).split()):
            word_cat[w][r["path"]] += 1

    def classify(texts):
        out = []
        for t in texts:
            votes: Counter = Counter()
            for w in set(preprocess(t).split()):
                c = word_cat.get(w)
                if c and sum(c.values()) <= 8:
                    votes.update({k: v / sum(c.values()) for k, v in c.items()})
            if votes:
                best, score = votes.most_common(1)[0]
                out.append([(best, 0.9 if score >= 1 else 0.4)])
            else:
                out.append([])
        return out

    del mapping
    return classify


def load_or_build_train() -> list[dict]:
    if not (DATA / "train.jsonl").is_file():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import prompt_set

        prompt_set.main()
    return load("train")


def evaluation_sets() -> dict[str, list[dict]]:
    sets = {n: load(n) for n in ("test", "test_multilingual", "test_external")}
    sets["  test: colleague's 30 %"] = [r for r in sets["test"] if r["source"].startswith("en-")]
    sets["  test: heldout/"] = [r for r in sets["test"] if r["source"].startswith("heldout-")]
    return sets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", action="store_true", help="also train and score the alternatives")
    ap.add_argument("--params", default="{}", help="JSON overrides of PARAMS (experiments)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the model and its metadata")
    ap.add_argument("--no-calibration", action="store_true", help="ship raw scores (no Platt map)")
    args = ap.parse_args()
    mapping = load_mapping()
    params = {**PARAMS, **json.loads(args.params)}
    train, sets = load_or_build_train(), evaluation_sets()
    meta = {
        "trained_on": "benchmarks/data/prompts/train.jsonl",
        "train_sha256_16": hashlib.sha256((DATA / "train.jsonl").read_bytes()).hexdigest()[:16],
        "train_rows": len(train),
        "params": params,
    }
    if not args.no_calibration:
        meta |= fit_platt(train, params, mapping)
        print(f"platt: {meta['platt']}")
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / MODEL_FILE
    model = train_fasttext(train, params, model_path)
    meta["labels"] = sorted(decode_label(lab) for lab in model.get_labels())
    classify = fasttext_classifier(model_path, meta)  # writes the metadata next to the model
    (args.out / META_FILE).write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {model_path} ({model_path.stat().st_size / 1e6:.2f} MB)")
    candidates = {"fasttext (shipped rule)": lambda: classify}
    if args.compare:
        candidates |= {
            "tfidf+logreg (sklearn)": lambda: sklearn_tfidf(train),
            "keyword baseline": lambda: keyword_baseline(train),
        }
    print(f"{'model':26} {'set':26} {'macro-F1':>8} {'acc':>6} {'prompts/s':>10}")
    for name, make in candidates.items():
        clf = make()
        for set_name, rows in sets.items():
            ev = evaluate(clf, rows, mapping)
            print(
                f"{name:26} {set_name:26} {ev.macro_f1:8.3f} {ev.accuracy:6.3f} {ev.prompts_per_s:10.0f}"
            )


if __name__ == "__main__":
    main()
