"""The artifact registry: every figure and table of the study, by its paper id.

An analysis is a plain function from named inputs to an Ibis table.  Its
parameters are bound by name by the runner: a rollup (``weekly_facts``...), a
reference table (``models``), or ``config`` (:class:`StudyConfig`).  It never
sees an engine or a connection.

    @artifact("F1", title="...", chart=StackedArea(x="week", y="share", color="source_type"))
    def weekly_source_type_share(weekly_facts: ibis.Table) -> ibis.Table: ...

``post`` (optional) finishes a result in pandas after the engine ran it, for
statistics that are not SQL (regressions, rule detection): ``post(df, config)``
returns the final frame, or ``(frame, {name: extra_frame})`` for companion tables
written as ``data/<ID>_<name>.csv``.

Privacy (:mod:`tokencensus.privacy`): when a result has a ``users`` column (distinct
users behind each row), the runner masks every measure of rows with fewer than
``config.min_users`` users and marks them ``suppressed``; ``keys`` are the columns that
stay visible.  ``complement`` names the columns of a group of rows that are parts of one
whole (a week's shares), inside which a lone suppressed row is protected by suppressing
another (secondary suppression); ``single_account`` lists columns that describe one
account by construction (F12), published only where the row's users reach the floor.
``by_week`` declares that the result's rows for a week (its ``week`` column) come from
that week's rows of its inputs alone, which must all be rollups kept by week (``ByWeek``
upkeep) or ``config``: an incremental run keeps such a result with the rollups and
recomputes only the new, changed and removed weeks' rows.  Rankings over the window,
grids of levels seen in any week and distinct counts over several weeks are not by week,
unless they come from ``context``: a small table pooled over every week (F3's top
models), computed first by the runner and passed to the function as its ``context``
parameter, an in-memory table.  A by-week result is then reused only while its context
is the same (the content is part of the expression).  ``by_month`` declares the same of
calendar months for results that follow users' first months (F25's cohorts): a row for a
month (its ``month`` column) comes from that month's rows of rollups kept by month
(``Sums`` partitioned by ``month``), from first months (``Firsts`` rollups) no later
than it, and from reference tables the catalog and config fix.  A first month changes
only from the earliest month a replaced week touches on, so an incremental run
recomputes the rows of that month and the later ones.
Captions may use ``{facts}`` the runner fills: ``{events}``, ``{sample_events}``,
``{first_week}``, ``{last_week}``, ``{weeks}``, ``{min_users}``, ``{recent_weeks}``,
``{label_threshold}``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from tokencensus.chartspec import ChartSpec

__all__ = [
    "ARTIFACTS",
    "PAPER_ORDER",
    "SECTIONS",
    "Artifact",
    "Section",
    "StudyConfig",
    "artifact",
    "section",
]


@dataclass(frozen=True)
class StudyConfig:
    """Options every analysis may read (bind it by naming a parameter ``config``)."""

    #: Window of the study (inclusive dates, UTC); None = all data.
    start: date | None = None
    end: date | None = None
    #: How many OSS models F3 draws before grouping the rest as "Other OSS".
    top_oss_models: int = 15
    #: Privacy: no published cell may describe fewer distinct users (0 disables).
    min_users: int = 10
    #: Classifier labels below this confidence are dropped (the paper: 0.5).
    label_threshold: float = 0.5
    #: "Recent weeks" for rankings such as F11: the last N weeks of the window.
    recent_weeks: int = 4
    #: Models whose monthly cohorts F25 draws (catalog slugs or aliases).
    retention_models: tuple[str, ...] = (
        "anthropic/claude-sonnet-4",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-flash",
        "openai/gpt-4o-mini",
        "meta-llama/llama-4-maverick",
        "google/gemini-2.0-flash-001",
        "deepseek/deepseek-r1",
        "deepseek/deepseek-chat-v3-0324",
    )
    #: F25 rules: foundational margin (retention points over the later cohorts' median),
    #: the month offsets tried (largest first), the boomerang rise, the minimum cohort size.
    foundational_margin: float = 0.10
    foundational_offsets: tuple[int, ...] = (5, 4, 3)
    boomerang_rise: float = 0.05
    min_cohort_users: int = 50
    #: A path -> tag -> category mapping CSV of your own (None: the shipped one).
    label_mapping: str | None = None
    #: Authors left out of F20's spend shares (the paper omits xAI: free launch period).
    spend_share_excluded_authors: tuple[str, ...] = ("xAI",)


@dataclass(frozen=True)
class Section:
    key: str
    number: str
    title: str
    intro: str


@dataclass(frozen=True)
class Artifact:
    id: str
    title: str
    section: str
    func: Callable[..., Any]
    chart: ChartSpec
    caption: str
    #: Columns that define the row order of the output (and uniqueness).
    order_by: tuple[str, ...]
    post: Callable[[pd.DataFrame, StudyConfig], Any] | None = None
    #: Catalog slugs whose release dates the chart marks (F1).
    markers: tuple[str, ...] = ()
    kind: str = "figure"
    params: tuple[str, ...] = field(default=())
    #: Columns that identify a row (kept visible when the privacy rule masks it).
    keys: tuple[str, ...] = ()
    #: The numbers come from the classified sample (captions and report say so).
    sampled: bool = False
    #: Columns of a complementary group (rows that are parts of one whole: shares summing
    #: to 1, values summing to a published total); ``()`` = the whole table; None = none.
    complement: tuple[str, ...] | None = None
    #: Columns describing one account by construction (published where users >= K).
    single_account: tuple[str, ...] = ()
    #: Rows for a week come from that week's input rows alone (see the module docstring).
    by_week: bool = False
    #: Rows for a month come from that month's input rows and earlier first months.
    by_month: bool = False
    #: The pooled table passed as the ``context`` parameter (see the module docstring).
    context: Callable[..., Any] | None = None

    @property
    def context_params(self) -> tuple[str, ...]:
        if self.context is None:
            return ()
        return tuple(inspect.signature(self.context).parameters)

    @property
    def is_table(self) -> bool:
        return self.kind == "table"


ARTIFACTS: dict[str, Artifact] = {}
#: The paper's order of figures and tables (the report's order within a section).
PAPER_ORDER: tuple[str, ...] = (
    "F1", "F2", "T1", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
    "F10", "F11", "F12", "F13", "F14", "F15", "F16", "F17", "F18",
    "F19", "F20", "F21", "F22", "F23", "F29",
    "F24", "T2", "F25", "F26", "F27", "F28", "T3",
)  # fmt: skip
SECTIONS: dict[str, Section] = {}


def section(key: str, number: str, title: str, intro: str) -> Section:
    """Declare a report section (one per analyses module)."""
    sec = Section(key=key, number=number, title=title, intro=inspect.cleandoc(intro))
    SECTIONS[key] = sec
    return sec


def artifact(
    id: str,
    *,
    title: str,
    section: Section,
    chart: ChartSpec,
    caption: str,
    order_by: tuple[str, ...],
    post: Callable[[pd.DataFrame, StudyConfig], Any] | None = None,
    markers: tuple[str, ...] = (),
    keys: tuple[str, ...] | None = None,
    sampled: bool = False,
    complement: tuple[str, ...] | None = None,
    single_account: tuple[str, ...] = (),
    by_week: bool = False,
    by_month: bool = False,
    context: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as the artifact ``id`` (F1..F29, T1..T3)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if id in ARTIFACTS:
            raise ValueError(f"artifact {id} registered twice")
        params = tuple(inspect.signature(func).parameters)
        if ("context" in params) != (context is not None):
            raise ValueError(
                f"artifact {id}: a context function and a 'context' parameter go together"
            )
        if by_week and by_month:
            raise ValueError(f"artifact {id}: by_week and by_month exclude each other")
        ARTIFACTS[id] = Artifact(
            id=id,
            title=title,
            section=section.key,
            func=func,
            chart=chart,
            caption=inspect.cleandoc(caption),
            order_by=order_by,
            post=post,
            markers=markers,
            kind="table" if id.startswith("T") else "figure",
            params=params,
            keys=keys if keys is not None else tuple(c for c in order_by if not c.startswith("-")),
            sampled=sampled,
            complement=complement,
            single_account=single_account,
            by_week=by_week,
            by_month=by_month,
            context=context,
        )
        return func

    return register
