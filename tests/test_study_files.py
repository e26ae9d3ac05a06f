"""What a study run writes: data contracts, and the privacy counts against the data files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tokencensus.analyses import ARTIFACTS
from tokencensus.cli import app
from tokencensus.simulate import simulate

runner = CliRunner()
K = 10


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "store"
    simulate(40_000, out, seed=5, workers=1)
    return out / "events"


@pytest.fixture(scope="module")
def run(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study")
    res = runner.invoke(
        app, ["study", str(store), "--out", str(out), "-q", "--no-report", "--min-users", str(K)]
    )
    assert res.exit_code == 0, res.output
    return out


def _data(out: Path, aid: str) -> pd.DataFrame:
    return pd.read_csv(out / "data" / f"{aid}.csv")


def test_leading_columns_of_the_data_contracts(run: Path) -> None:
    contracts = {
        "T2": ["language", "tokens", "share"],
        "F14": ["week", "mean_prompt_tokens"],
        "F19": ["week", "tokens", "share", "share_low", "share_high"],
        "F25": ["model", "cohort_month", "month_offset", "cohort_users", "active_users",
                "retention"],
    }  # fmt: skip
    for aid, lead in contracts.items():
        header = list(_data(run, aid).columns)
        assert header[: len(lead)] == lead, (aid, header)
        parquet = list(pd.read_parquet(run / "data" / f"{aid}.parquet").columns)
        assert parquet == header, aid


def test_manifest_counts_match_the_suppressed_cells_in_the_data_files(run: Path) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["privacy"]["min_users"] == K
    primary_total = secondary_total = 0
    for entry in manifest["artifacts"]:
        df = _data(run, entry["id"])
        hidden = df["suppressed"].astype(bool) if "suppressed" in df else pd.Series(False)
        second = (
            df["suppressed_secondary"].astype(bool)
            if "suppressed_secondary" in df
            else pd.Series(False, index=df.index)
        )
        assert not (second & ~hidden).any(), entry["id"]  # a secondary is also suppressed
        primary, secondary = int((hidden & ~second).sum()), int(second.sum())
        assert (entry["suppressed_primary"], entry["suppressed_secondary"]) == (
            primary, secondary,
        ), entry["id"]  # fmt: skip
        assert entry["suppressed"] == primary + secondary
        primary_total += primary
        secondary_total += secondary
    privacy = manifest["privacy"]
    assert (privacy["primary_cells"], privacy["secondary_cells"]) == (
        primary_total, secondary_total,
    )  # fmt: skip
    assert privacy["suppressed_cells"] == primary_total + secondary_total
    # the run is small enough that both kinds occur: the comparison above is not vacuous
    assert primary_total > 0 and secondary_total > 0
    assert privacy["exceptions"][0]["artifact"] == "F12"


def test_published_cells_respect_the_floor(run: Path) -> None:
    for aid in ARTIFACTS:
        df = _data(run, aid)
        if "users" not in df:
            continue
        shown = df[~df["suppressed"].astype(bool)]
        assert not ((shown["users"] > 0) & (shown["users"] < K)).any(), aid
        hidden = df[df["suppressed"].astype(bool)]
        for col in ("tokens", "share", "users", "retention", "top_account_share"):
            if col in hidden:
                assert hidden[col].isna().all(), (aid, col)


def test_no_complementary_group_holds_exactly_one_hidden_share(run: Path) -> None:
    checked = 0
    for aid, art in ARTIFACTS.items():
        if art.complement is None:
            continue
        df = _data(run, aid)
        if "suppressed" not in df or "share" not in df:
            continue
        # a row takes part in its group's shares when it is hidden or has a share
        part = df[df["suppressed"].astype(bool) | df["share"].notna()]
        groups = part.groupby(list(art.complement)) if art.complement else [((), part)]
        for key, g in groups:
            hidden = int(g["suppressed"].astype(bool).sum())
            # one hidden share beside published ones would be 1 minus their sum (a group
            # of one row has nothing left to hide it behind: it stays marked, blank)
            assert hidden != 1 or len(g) == 1, (aid, key)
            checked += hidden > 0 and len(g) > 1
    assert checked > 0


def test_min_users_and_cohort_models_from_the_cli(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "k0"
    res = runner.invoke(app, [
        "study", str(store), "--out", str(out), "-q", "--no-report", "--artifacts", "F25,T2",
        "--min-users", "0", "--cohort-models", "claude-sonnet-4, deepseek/deepseek-r1",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["privacy"]["min_users"] == 0
    assert manifest["privacy"]["suppressed_cells"] == 0
    f25 = _data(out, "F25")
    assert set(f25["model"]) == {"anthropic/claude-sonnet-4", "deepseek/deepseek-r1"}
    assert not f25["suppressed"].any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cohort-models", "anthropic/claude-sonet-4,acme/nothing"],
         "--cohort-models: 'anthropic/claude-sonet-4', 'acme/nothing' are not in the model "
         "catalog. Did you mean anthropic/claude-sonnet-4?"),
        (["--cohort-models", " , "], "--cohort-models expects a comma-separated list"),
        (["--min-users", "-1"], "--min-users must be 0 or more, got -1."),
    ],
)  # fmt: skip
def test_bad_privacy_and_cohort_options(store: Path, tmp_path: Path, args, message) -> None:
    for command in (["study", str(store)], ["demo", "--events", "1000"]):
        res = runner.invoke(app, [*command, "--out", str(tmp_path / "x"), "-q", *args])
        assert res.exit_code == 1, (command, res.output)
        assert message in " ".join(res.output.split()), (command, res.output)
        assert not (tmp_path / "x" / "store").exists()  # the demo stops before simulating
