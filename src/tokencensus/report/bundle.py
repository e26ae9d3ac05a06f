"""The chart library, inlined once per page: Vega + Vega-Lite + vega-embed from vl-convert."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

__all__ = ["vega_bundle"]


@cache
def vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script (built by vl-convert, offline; cached on
    disk under ``$XDG_CACHE_HOME/tokencensus`` since building it takes seconds)."""
    import vl_convert

    version = getattr(vl_convert, "__version__", "0")
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tokencensus"
    cached = cache_dir / f"vega-bundle-{version}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = str(vl_convert.javascript_bundle())  # type: ignore[call-arg]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home only costs the rebuild
    return bundle
