"""Publication figures: ``figures/<ID>.png`` and ``.svg`` for every chart, offline (vl-convert).

Static versions of the page's charts (no hover rules or toggles), with the artifact's id
and title, a source line, readable fonts, the run's palette and the paper references.

Fonts: vl-convert renders with the fonts it finds (the system's, plus the directories
:func:`register_fonts` adds: ``$TOKENCENSUS_FONT_DIRS`` and Debian's Noto CJK and TLWG Thai
folders when present - ``apt-get install fonts-noto-cjk fonts-thai-tlwg``).  Nothing is
downloaded.  Its renderer takes one font per label, so labels in Thai script get a Thai
or CJK script get a family that has them by an expression (``_LABEL_FONT``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokencensus.report.charts import CONFIG
from tokencensus.report.palette import Palette
from tokencensus.report.specs import artifact_chart, run_palette

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult, StudyResult

__all__ = [
    "FONT_DIRS",
    "figure_spec",
    "register_fonts",
    "static_config",
    "write_figures",
]

#: Debian font folders (fonts-noto-cjk, fonts-thai-tlwg, fonts-dejavu-core) used when present.
FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/tlwg",
    "/usr/share/fonts/opentype/tlwg",
    "/usr/share/fonts/truetype/dejavu",
)
#: vl-convert takes the first available family of a list for a whole label, and a large CJK
#: font costs twice the rendering time: Latin labels get a Latin family, labels with CJK or
#: Thai characters (model names, languages) a family that has them.
STATIC_FONT = "DejaVu Sans, Noto Sans, Liberation Sans, sans-serif"
CJK_FONT = "Noto Sans CJK SC, Noto Sans CJK JP, Noto Sans SC, WenQuanYi Zen Hei, sans-serif"
THAI_FONT = "Garuda, Loma, Noto Sans Thai, Waree, sans-serif"
_CJK = "[\\u1100-\\u11ff\\u2e80-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\uff00-\\uffef]"
_THAI = "[\\u0e00-\\u0e7f]"
_LABEL_FONT = (
    f"test(/{_THAI}/, datum.label) ? {THAI_FONT!r} : "
    f"test(/{_CJK}/, datum.label) ? {CJK_FONT!r} : {STATIC_FONT!r}"
)
_registered: list[str] = []


def register_fonts(extra: Iterable[str | Path] = ()) -> list[str]:
    """Register font folders with vl-convert once per process; returns those registered."""
    import vl_convert

    env = [d for d in os.environ.get("TOKENCENSUS_FONT_DIRS", "").split(os.pathsep) if d]
    for folder in [*map(str, extra), *env, *FONT_DIRS]:
        if folder in _registered or not Path(folder).is_dir():
            continue
        try:
            vl_convert.register_font_directory(folder)
        except Exception:
            continue
        _registered.append(folder)
    return list(_registered)


def static_config() -> dict[str, Any]:
    """The page's chart config with the figures' fonts (per-label Thai family)."""
    config = copy.deepcopy(CONFIG)
    config["font"] = STATIC_FONT
    for part in ("axis", "legend", "header"):
        config.setdefault(part, {})["labelFont"] = {"expr": _LABEL_FONT}
    config["background"] = "white"
    config["padding"] = 12
    return config


def _source_line(result: StudyResult) -> str:
    m = result.manifest
    w = m.get("window") or {}
    events = (m.get("rows") or {}).get("events", 0)
    return (
        f"tokencensus {m.get('tokencensus_version', '')} · {events:,} events, weeks "
        f"{w.get('first_week') or '–'} to {w.get('last_week') or '–'} · "
        "definitions of the State of AI token study (OpenRouter, Dec 2025)"
    )


def figure_spec(
    res: ArtifactResult,
    result: StudyResult,
    *,
    palette: Palette | None = None,
    reference: bool = True,
) -> dict[str, Any] | None:
    """The static Vega-Lite spec of one artifact's figure (None when it has no chart)."""
    a = res.artifact
    spec = artifact_chart(res, palette=palette, reference=reference, interactive=False)
    if spec is None:
        return None
    subtitle = _source_line(result)
    if reference and any(
        r.get("__kind") == "paper"
        for r in spec["datasets"]["data"][spec["usermeta"]["tc"]["table_rows"] :]
    ):
        subtitle += " · dashed: the paper's published values"
    spec["title"] = {
        "text": f"{a.id} · {a.title}",
        "subtitle": subtitle,
        "subtitleFontSize": 10,
        "subtitleColor": "#5b6475",
    }
    spec["config"] = static_config()
    return spec


def write_figures(
    result: StudyResult,
    out_dir: str | Path,
    *,
    reference: bool = True,
    formats: tuple[str, ...] = ("png", "svg"),
    scale: float = 2.0,
    palette: Palette | None = None,
    only: Iterable[str] | None = None,
    on_figure: Callable[[str], None] | None = None,
) -> Mapping[str, list[Path]]:
    """Write ``<out_dir>/<ID>.<format>`` for every artifact with a chart; returns the paths."""
    import vl_convert

    register_fonts()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    pal = palette or run_palette(result.results)
    chosen = set(only) if only is not None else None
    written: dict[str, list[Path]] = {}
    for aid, res in result.results.items():
        if chosen is not None and aid not in chosen:
            continue
        spec = figure_spec(res, result, palette=pal, reference=reference)
        if spec is None:
            if on_figure is not None:
                on_figure(aid)
            continue
        paths: list[Path] = []
        svg = vl_convert.vegalite_to_svg(spec)
        if "svg" in formats:
            path = folder / f"{aid}.svg"
            path.write_text(svg, encoding="utf-8")
            paths.append(path)
        if "png" in formats:
            path = folder / f"{aid}.png"
            path.write_bytes(vl_convert.svg_to_png(svg, scale=scale))
            paths.append(path)
        if "pdf" in formats:
            path = folder / f"{aid}.pdf"
            path.write_bytes(vl_convert.svg_to_pdf(svg))
            paths.append(path)
        written[aid] = paths
        if on_figure is not None:
            on_figure(aid)
    return written
