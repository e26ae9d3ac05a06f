"""Figures (PNG, SVG) and the PDF, rendered offline by vl-convert; CJK and Thai labels drawn."""

from __future__ import annotations

import hashlib
import struct

import pandas as pd
import pytest
import vl_convert

from tests.report.tiny import tiny_result
from tokencensus.chartspec import Bar
from tokencensus.report.charts import vega_lite
from tokencensus.report.figures import figure_spec, register_fonts, static_config, write_figures


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _label_png(labels: list[str]) -> str:
    df = pd.DataFrame({"name": labels, "tokens": [3, 2, 1][: len(labels)]})
    spec = vega_lite(Bar(x="tokens", y="name"), df, interactive=False)
    spec["config"] = static_config()
    return hashlib.sha1(vl_convert.vegalite_to_png(spec)).hexdigest()


@pytest.mark.usefixtures("cjk_thai_fonts")
@pytest.mark.parametrize(
    ("label", "permuted"),
    [
        ("通义千问", "千问通义"),
        ("日本語の名前", "名前の日本語"),
        ("한국어 모델", "모델 한국어"),
        ("ภาษาไทย", "ไทยภาษา"),
    ],
    ids=["chinese", "japanese", "korean", "thai"],
)
def test_cjk_and_thai_labels_render_as_glyphs(label, permuted):
    """Missing glyphs all draw the same box, so a label and its permutation would render
    identically; with the fonts registered they differ."""
    register_fonts()
    assert _label_png([label, "Qwen"]) != _label_png([permuted, "Qwen"])


@pytest.mark.usefixtures("cjk_thai_fonts")
def test_debian_font_folders_are_registered():
    registered = register_fonts()
    assert any("noto" in d for d in registered) and any("tlwg" in d for d in registered)


def test_figures_of_a_run(fixture_run, tmp_path):
    written = write_figures(fixture_run, tmp_path, only=["F1", "F22", "T2", "T3"])
    assert set(written) == {"F1", "F22", "T2"}  # T3 is a table
    for aid in written:
        png = (tmp_path / f"{aid}.png").read_bytes()
        width, height = _png_size(png)
        assert width > 1200 and height > 500, (aid, width, height)  # scale 2: print quality
        svg = (tmp_path / f"{aid}.svg").read_text()
        assert svg.startswith("<svg") and f"{aid} · " in svg
    f1 = (tmp_path / "F1.svg").read_text()
    assert "paper: Chinese OSS mean 13.0%" in f1 and "dashed: the paper" in f1
    assert "Closed" in f1 and "#1f3b73" in f1  # the source-type colour of every chart


def test_figure_without_references(fixture_run):
    spec = figure_spec(fixture_run.results["F1"], fixture_run, reference=False)
    assert "paper:" not in str(spec)
    assert "hover" not in str(spec.get("layer"))  # static: no interaction layers


def test_pdf_has_a_cover_every_artifact_and_the_scorecard(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from tokencensus.report.pdf import write_pdf

    path = write_pdf(tiny_result(), tmp_path / "report.pdf")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1 + 3 + 1
    text = [page.extract_text() for page in reader.pages]
    assert "State of AI on your traffic" in text[0] and "programming share" in text[0]
    assert "F1 · Open vs. closed" in text[1]
    assert "T3 · Example models" in text[3] and "premium leaders" in text[3]
    assert "Reproduction scorecard" in text[4]
