"""Train the shipped offline prompt classifier, and compare it with the alternatives.

Needs the training build of fastText (not a tokencensus dependency) in a separate
environment, because it installs the same ``fasttext`` module as fasttext-predict:

    python -m venv /tmp/trainenv
    /tmp/trainenv/bin/pip install fasttext-numpy2 scikit-learn model2vec tokenlearn-static-model pyarrow
    /tmp/trainenv/bin/pip install --no-deps -e .
    /tmp/trainenv/bin/python benchmarks/prompt_set.py          # writes the split files
    /tmp/trainenv/bin/python benchmarks/train_classifier.py     # writes data/prompt_model.*
    /tmp/trainenv/bin/python benchmarks/train_classifier.py --compare   # prints the table

The model is trained on ``train.jsonl`` only.  Each prompt's label set is its taxonomy path
plus those ancestors that roll up to the same category (``/Books & Literature/Poetry`` also
teaches ``/Books & Literature``), so the parent stays confident when the leaf is uncertain.
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

#: fastText hyper-parameters of the shipped model (chosen on train-split cross-validation).
PARAMS = {
    "loss": "ova",
    "dim": 64,
    "epoch": 60,
    "lr": 0.5,
    "wordNgrams": 2,
    "minn": 2,
    "maxn": 5,
    "bucket": 200_000,
    "minCount": 1,
    "seed": 7,
    "thread": 1,
}


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


def train_fasttext(rows: list[dict], params: dict, out_path: Path):
    import fasttext

    mapping = load_mapping()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for r in rows:
            labels = label_set(r["path"], mapping)
            if mapping.category(r["path"]) == OTHERS:
                labels = [r["path"]]  # long-tail paths are learned too, they roll up to Others
            fh.write(" ".join(encode_label(p) for p in labels) + " " + preprocess(r["text"]) + "\n")
        train_file = fh.name
    model = fasttext.train_supervised(input=train_file, verbose=0, **params)
    model.quantize(input=train_file, retrain=True, qnorm=True, cutoff=50_000)
    model.save_model(str(out_path))
    return model


def fasttext_classifier(model):
    n = len(model.get_labels())

    def classify(texts):
        out = []
        for t in texts:
            labs, ps = model.predict(preprocess(t[:1000]), k=n, threshold=0.05)
            out.append([(decode_label(lab), float(p)) for lab, p in zip(labs, ps, strict=False)])
        return out

    return classify


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


def static_embeddings(train_rows):
    import numpy as np
    import static_model
    from model2vec import StaticModel
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    model_dir = Path(static_model.__file__).parent / "model"
    emb = StaticModel.from_pretrained(str(model_dir))
    mapping = load_mapping()
    ys = [label_set(r["path"], mapping) or [r["path"]] for r in train_rows]
    mlb = MultiLabelBinarizer()
    y = mlb.fit_transform(ys)
    x = emb.encode([r["text"] for r in train_rows])
    clf = OneVsRestClassifier(LogisticRegression(C=50, max_iter=3000)).fit(x, y)

    def classify(texts):
        probs = clf.predict_proba(np.asarray(emb.encode(list(texts))))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", action="store_true", help="also train and score the alternatives")
    args = ap.parse_args()
    mapping = load_mapping()
    train, sets = (
        load("train"),
        {n: load(n) for n in ("test", "test_multilingual", "test_external")},
    )
    OUT.mkdir(parents=True, exist_ok=True)
    model = train_fasttext(train, PARAMS, OUT / MODEL_FILE)
    digest = hashlib.sha256((DATA / "train.jsonl").read_bytes()).hexdigest()[:16]
    meta = {
        "trained_on": "benchmarks/data/prompts/train.jsonl",
        "train_sha256_16": digest,
        "train_rows": len(train),
        "params": PARAMS,
        "labels": sorted(decode_label(lab) for lab in model.get_labels()),
    }
    (OUT / META_FILE).write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT / MODEL_FILE} ({(OUT / MODEL_FILE).stat().st_size / 1e6:.2f} MB)")
    candidates = {"fasttext (shipped)": lambda: fasttext_classifier(model)}
    if args.compare:
        candidates |= {
            "tfidf+logreg (sklearn)": lambda: sklearn_tfidf(train),
            "static-emb+logreg (model2vec)": lambda: static_embeddings(train),
            "keyword baseline": lambda: keyword_baseline(train),
        }
    print(f"{'model':32} {'set':18} {'macro-F1':>8} {'acc':>6} {'prompts/s':>10}")
    for name, make in candidates.items():
        clf = make()
        for set_name, rows in sets.items():
            ev = evaluate(clf, rows, mapping)
            print(
                f"{name:32} {set_name:18} {ev.macro_f1:8.3f} {ev.accuracy:6.3f} {ev.prompts_per_s:10.0f}"
            )


if __name__ == "__main__":
    main()
