"""Reading a finished run back from its folder (``compare``, re-rendering, tests).

A study folder holds ``manifest.json``, ``data/<ID>.parquet`` (and ``.csv``),
``data/<ID>_<name>.csv`` companion tables and ``sql/<ID>.sql``; :func:`load_run` turns it
back into the :class:`~tokencensus.study.StudyResult` the report is drawn from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tokencensus.errors import InputError

__all__ = ["load_run"]

_DATES = ("week", "month", "cohort_month", "release_date", "date")


def _read_table(base: Path) -> pd.DataFrame:
    parquet = base.with_suffix(".parquet")
    if parquet.exists():
        return pd.read_parquet(parquet)
    return _read_csv(base.with_suffix(".csv"))


def _read_csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    for col in df.columns:
        if col in _DATES:
            df[col] = pd.to_datetime(df[col]).dt.date
    return df


def load_run(run_dir: str | Path):  # -> StudyResult (import kept lazy: study imports report)
    """The :class:`StudyResult` of a study output folder (what ``tokencensus study`` wrote)."""
    from tokencensus.analyses import ARTIFACTS
    from tokencensus.study import ArtifactResult, StudyResult

    folder = Path(run_dir)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(
            f"{folder} is not a study output folder: it has no manifest.json. "
            "Give the folder 'tokencensus study ... --out DIR' wrote."
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    results = {}
    for entry in manifest.get("artifacts", []):
        aid = entry["id"]
        artifact = ARTIFACTS.get(aid)
        base = folder / "data" / aid
        if artifact is None or not (
            base.with_suffix(".parquet").exists() or base.with_suffix(".csv").exists()
        ):
            continue
        extras = {}
        for rel in entry.get("extras", []):
            path = folder / rel
            if path.exists():
                extras[path.stem[len(aid) + 1 :]] = _read_csv(path)
        sql_path = folder / "sql" / f"{aid}.sql"
        results[aid] = ArtifactResult(
            artifact=artifact,
            data=_read_table(base),
            sql=sql_path.read_text(encoding="utf-8").rstrip("\n") if sql_path.exists() else "",
            caption=entry.get("caption") or artifact.caption,
            extras=extras,
            suppressed=int(entry.get("suppressed", 0)),
        )
    return StudyResult(out_dir=folder, manifest=manifest, results=results)
