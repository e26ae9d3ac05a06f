"""Rebuild ``tests/fixtures/report_run/``: a small real study folder the report tests draw.

A simulated platform (6,000 events, a 30% prompt sample so every sampled artifact has
data), studied with a privacy floor of 3 users (so some cells are suppressed) and scored
against the paper (so the scorecard sections render).  Floats are rounded to 6 significant
digits and the SQL cut to its first lines to keep the fixture small; run it again when an
artifact's columns change:

    python tests/report/make_fixture.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report_run"
SQL_LINES = 25


def build(dest: Path = FIXTURE, *, events: int = 6000, seed: int = 11) -> Path:
    from tokencensus.analyses import StudyConfig
    from tokencensus.scorecard import result_frames, score, summary
    from tokencensus.simulate.run import simulate
    from tokencensus.study import run_study

    with tempfile.TemporaryDirectory() as tmp:
        sim = simulate(events, Path(tmp) / "store", seed=seed, sample_rate=0.3, overwrite=True)
        run = Path(tmp) / "run"
        result = run_study(
            [sim.events_dir], run, config=StudyConfig(min_users=3), write_report=False
        )
        card = score(result_frames(result.results))
        manifest = json.loads((run / "manifest.json").read_text())
        manifest["inputs"] = []
        manifest["created_at"] = "2025-12-01T00:00:00+00:00"
        manifest["timings_s"] = {}
        manifest["scorecard"] = {"summary": summary(card), "rows": card.to_dict("records")}
        if dest.exists():
            shutil.rmtree(dest)
        (dest / "data").mkdir(parents=True)
        (dest / "sql").mkdir()
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
        for csv in sorted((run / "data").glob("*.csv")):
            df = pd.read_csv(csv)
            for col in df.columns:
                if pd.api.types.is_float_dtype(df[col]):
                    df[col] = df[col].map(lambda v: float(f"{v:.6g}") if pd.notna(v) else v)
            df.to_csv(dest / "data" / csv.name, index=False)
        for sql in sorted((run / "sql").glob("*.sql")):
            lines = sql.read_text().splitlines()
            cut = lines[:SQL_LINES] + (
                ["-- ... (cut in the test fixture)"] if len(lines) > SQL_LINES else []
            )
            (dest / "sql" / sql.name).write_text("\n".join(cut) + "\n")
    return dest


if __name__ == "__main__":
    print(build())
