"""Sections 3.3 and 5, categories: F6-F9, F19-F23, F29."""

from __future__ import annotations

import pandas as pd

from tokencensus.scorecard.measure import (
    Frames,
    Measure,
    NotMeasurable,
    dim_column,
    early,
    get,
    late,
    level,
    month,
    pooled_share,
    recent,
    value_column,
    weekly_share,
    weeks,
    within,
)
from tokencensus.scorecard.registry import statement

CASUAL = ("Roleplay", "General Q&A", "Trivia", "Creative Writing", "Adult")

# ------------------------------------------------------------------------------ F6, F7


def _category_share(artifact: str, names: tuple[str, ...]):
    def measure(frames: Frames) -> float:
        df = get(frames, artifact)
        return pooled_share(df, dim_column(df, ("category",)), names)

    return measure


statement(
    "F6.roleplay", "F6", "Roleplay share of OSS tokens (May-Nov 2025)", "approx_pp", 0.52, "≈ 52%"
)(_category_share("F6", ("Roleplay",)))
statement(
    "F6.roleplay_majority",
    "F6",
    "Roleplay is more than half of OSS tokens",
    "above_share",
    0.5,
    "> 50%",
)(_category_share("F6", ("Roleplay",)))
statement(
    "F6.programming", "F6", "Programming share of OSS tokens", "range_pp", (0.15, 0.20), "15-20%"
)(_category_share("F6", ("Programming",)))
statement("F7.roleplay", "F7", "Roleplay share of Chinese OSS tokens", "approx_pp", 0.33, "≈ 33%")(
    _category_share("F7", ("Roleplay",))
)
statement(
    "F7.programming_technology",
    "F7",
    "Programming + Technology share of Chinese OSS tokens",
    "approx_pp",
    0.39,
    "≈ 39%",
)(_category_share("F7", ("Programming", "Technology")))

# ------------------------------------------------------------------------------ F8, F9


def _source_share(
    artifact: str, names: tuple[str, ...], period: str, among: tuple[str, ...] | None = None
):
    def measure(frames: Frames) -> float:
        df = get(frames, artifact)
        dim = dim_column(df, ("source_type",))
        if period == "all":
            part = df
        elif period == "late":
            part = late(df)
        elif period == "recent":
            part = recent(df)
        elif period == "mid":
            part = weeks(df, "2025-06-01", "2025-08-31")
        else:
            part = month(df, period)
        if among is not None:
            part = part[level(part, dim, among)]
        return pooled_share(part, dim, names)

    return measure


statement(
    "F8.closed_bulk",
    "F8",
    "Closed models' share of programming tokens",
    "above_share",
    0.5,
    "the bulk",
)(_source_share("F8", ("Closed",), "all"))
statement(
    "F8.chinese_led_mid",
    "F8",
    "Chinese OSS share of OSS programming tokens, June-August 2025",
    "above_share",
    0.5,
    "Chinese led mid-2025",
)(_source_share("F8", ("Chinese OSS",), "mid", ("Chinese OSS", "RoW OSS")))
statement(
    "F8.row_late",
    "F8",
    "RoW OSS share of OSS programming tokens, late 2025",
    "above_share",
    0.5,
    "> half",
)(_source_share("F8", ("RoW OSS",), "late", ("Chinese OSS", "RoW OSS")))
statement(
    "F9.may_closed", "F9", "Closed share of roleplay tokens, May 2025", "approx_pp", 0.70, "≈ 70%"
)(_source_share("F9", ("Closed",), "2025-05"))
statement(
    "F9.may_row", "F9", "RoW OSS share of roleplay tokens, May 2025", "share_pp", 0.22, "22%"
)(_source_share("F9", ("RoW OSS",), "2025-05"))
statement(
    "F9.may_chinese", "F9", "Chinese OSS share of roleplay tokens, May 2025", "share_pp", 0.08, "8%"
)(_source_share("F9", ("Chinese OSS",), "2025-05"))
statement(
    "F9.recent_row", "F9", "RoW OSS share of roleplay tokens, recent weeks", "share_pp", 0.43, "43%"
)(_source_share("F9", ("RoW OSS",), "recent"))
statement(
    "F9.recent_closed",
    "F9",
    "Closed share of roleplay tokens, recent weeks",
    "share_pp",
    0.42,
    "42%",
)(_source_share("F9", ("Closed",), "recent"))

# ---------------------------------------------------------------------------------- F19


def _f19(frames: Frames) -> pd.Series:
    df = get(frames, "F19")
    try:
        dim = dim_column(df, ("category",))
    except NotMeasurable:
        return df.groupby("week")["share"].mean().sort_index()
    return weekly_share(df, dim, ["Programming"])


@statement(
    "F19.early_2025",
    "F19",
    "Programming share of tokens, January-February 2025",
    "approx_pp",
    0.11,
    "≈ 11%",
)
def _(frames: Frames) -> float:
    s = _f19(frames)
    s = s[(s.index >= "2025-01-01") & (s.index < "2025-03-01")]
    if s.empty:
        raise NotMeasurable("F19 has no weeks in early 2025 (category data start later)")
    return float(s.mean())


@statement(
    "F19.recent", "F19", "Programming share of tokens, recent weeks", "above_share", 0.5, "> 50%"
)
def _(frames: Frames) -> float:
    return float(_f19(frames).iloc[-4:].mean())


# ---------------------------------------------------------------------------------- F20


def _f20(frames: Frames, author: str) -> pd.Series:
    df = get(frames, "F20")
    dim = dim_column(df, ("author",))
    df = df[~level(df, dim, ["xAI"])]
    value = value_column(df, ("spend_usd", "cost_usd", "spend", "tokens"))
    df = df.assign(share=df[value])  # shares renormalised without xAI
    return weekly_share(df, dim, [author], value)


@statement(
    "F20.anthropic_most_weeks",
    "F20",
    "Weeks in which Anthropic holds > 60% of programming spend (xAI left out)",
    "above_share",
    0.5,
    "most weeks",
)
def _(frames: Frames) -> float:
    return float((_f20(frames, "Anthropic") > 0.6).mean())


@statement(
    "F20.anthropic_first_below",
    "F20",
    "First week Anthropic falls below 60% is the week of 2025-11-17 (±1 week)",
    "pattern",
    True,
    "week of Nov 17",
)
def _(frames: Frames) -> bool:
    s = _f20(frames, "Anthropic")
    below = s[s < 0.6]
    if below.empty:
        return False
    return abs((below.index[0] - pd.Timestamp("2025-11-17")).days) <= 7


@statement(
    "F20.openai_july",
    "F20",
    "OpenAI share of programming spend, July 2025",
    "approx_pp",
    0.02,
    "≈ 2%",
)
def _(frames: Frames) -> float:
    s = _f20(frames, "OpenAI")
    s = s[(s.index >= "2025-06-30") & (s.index < "2025-08-01")]
    if s.empty:
        raise NotMeasurable("F20 has no weeks in July 2025")
    return float(s.mean())


@statement(
    "F20.openai_recent",
    "F20",
    "OpenAI share of programming spend, recent weeks",
    "approx_pp",
    0.08,
    "≈ 8%",
)
def _(frames: Frames) -> float:
    return float(_f20(frames, "OpenAI").iloc[-4:].mean())


@statement(
    "F20.google",
    "F20",
    "Google share of programming spend, mean over the weeks",
    "approx_pp",
    0.15,
    "≈ 15% stable",
)
def _(frames: Frames) -> float:
    return float(_f20(frames, "Google").mean())


@statement(
    "F20.minimax_rising",
    "F20",
    "MiniMax share of programming spend rises (first vs last 4 weeks)",
    "direction",
    "up",
    "rising",
)
def _(frames: Frames) -> tuple[float, float]:
    s = _f20(frames, "Minimax")
    return float(s.iloc[:4].mean()), float(s.iloc[-4:].mean())


# -------------------------------------------------------------------------- F21, F29


def _tag_share(artifact: str, category: str, tags: tuple[str, ...]) -> Measure:
    def measure(frames: Frames) -> float:
        df = get(frames, artifact)
        part = within(df, dim_column(df, ("category",)), [category])
        total = float(part["tokens"].sum())
        if total <= 0:
            raise NotMeasurable(f"no {category} tokens")
        return float(part.loc[level(part, "tag", tags), "tokens"].sum()) / total

    return measure


def _max_tag(artifact: str, category: str) -> Measure:
    def measure(frames: Frames) -> float:
        df = get(frames, artifact)
        part = within(df, dim_column(df, ("category",)), [category])
        by_tag = part.groupby("tag")["tokens"].sum()
        return float(by_tag.max() / by_tag.sum())

    return measure


_F21 = (
    ("rp_games", "Roleplay", ("Games/Roleplaying Games",), "range_pp", (0.58, 0.60), "≈ 58-60%"),
    ("rp_writers", "Roleplay", ("Writers Resources",), "share_pp", 0.156, "15.6%"),
    ("rp_adult", "Roleplay", ("Adult",), "share_pp", 0.154, "15.4%"),
    ("prog_other", "Programming", ("Programming/Other",), "above_share", 2 / 3, "> 2/3"),
    ("prog_devtools", "Programming", ("Development Tools",), "share_pp", 0.264, "26.4%"),
    ("translation_flr", "Translation", ("Foreign Language Resources",), "share_pp", 0.511, "51.1%"),
    ("science_mlai", "Science", ("Machine Learning & AI",), "share_pp", 0.804, "80.4%"),
    ("legal_government", "Legal", ("Government/Other",), "share_pp", 0.430, "43.0%"),
    ("legal_legal", "Legal", ("Legal/Other",), "share_pp", 0.178, "17.8%"),
)
for _key, _cat, _tags, _kind, _pub, _txt in _F21:
    statement(
        f"F21.{_key}", "F21", f"{_cat}: share of the tag {' + '.join(_tags)}", _kind, _pub, _txt
    )(_tag_share("F21", _cat, _tags))
statement(
    "F21.health_max", "F21", "Health: largest tag's share", "below_share", 0.25, "no tag > 25%"
)(_max_tag("F21", "Health"))
statement(
    "F21.finance_max", "F21", "Finance: largest tag's share", "below_share", 0.20, "no tag > 20%"
)(_max_tag("F21", "Finance"))
statement(
    "F29.rp_games", "F29", "Roleplay: Role-Playing Game sub-tag share", "share_pp", 0.58, "58%"
)(_tag_share("F29", "Roleplay", ("Games/Roleplaying Games",)))
statement(
    "F29.tech_assistants_productivity",
    "F29",
    "Technology: Intelligent Assistants + Productivity Software",
    "share_pp",
    0.65,
    "65%",
)(_tag_share("F29", "Technology", ("Intelligent Assistants", "Productivity Software")))

# ------------------------------------------------------------------------------ F22, F23


def _author_rows(frames: Frames, artifact: str, author: str) -> tuple[pd.DataFrame, str]:
    df = get(frames, artifact)
    rows = within(df, dim_column(df, ("author",)), [author])
    return rows, "category"


def _author_share(artifact: str, author: str, cats: tuple[str, ...], period: str) -> Measure:
    def measure(frames: Frames) -> float:
        rows, dim = _author_rows(frames, artifact, author)
        part = {"all": rows, "early": early(rows), "recent": recent(rows)}[period]
        return pooled_share(part, dim, cats)

    return measure


def _author_weeks_above(artifact: str, author: str, cats: tuple[str, ...], bound: float) -> Measure:
    def measure(frames: Frames) -> float:
        rows, dim = _author_rows(frames, artifact, author)
        return float((weekly_share(rows, dim, cats) > bound).mean())

    return measure


statement(
    "F22.anthropic_prog_tech",
    "F22",
    "Anthropic: Programming + Technology share of tokens",
    "above_share",
    0.8,
    "> 80%",
)(_author_share("F22", "Anthropic", ("Programming", "Technology"), "all"))
statement("F22.google_legal", "F22", "Google: Legal share of tokens", "approx_pp", 0.05, "≈ 5%")(
    _author_share("F22", "Google", ("Legal",), "all")
)
statement(
    "F22.google_science", "F22", "Google: Science share of tokens", "approx_pp", 0.10, "≈ 10%"
)(_author_share("F22", "Google", ("Science",), "all"))
statement(
    "F22.google_programming_late",
    "F22",
    "Google: Programming share of tokens, recent weeks",
    "approx_pp",
    0.18,
    "≈ 18%",
)(_author_share("F22", "Google", ("Programming",), "recent"))
statement(
    "F22.xai_programming",
    "F22",
    "xAI: weeks with Programming > 80% of its tokens",
    "above_share",
    0.5,
    "most of the period",
)(_author_weeks_above("F22", "xAI", ("Programming",), 0.8))


@statement(
    "F22.xai_broadening",
    "F22",
    "xAI: Programming share falls in late November (weeks before vs from 2025-11-17)",
    "direction",
    "down",
    "broadening late November",
)
def _(frames: Frames) -> tuple[float, float]:
    rows, dim = _author_rows(frames, "F22", "xAI")
    s = weekly_share(rows, dim, ("Programming",))
    before, after = s[s.index < "2025-11-17"], s[s.index >= "2025-11-17"]
    if before.empty or after.empty:
        raise NotMeasurable("F22 does not reach late November 2025")
    return float(before.mean()), float(after.mean())


statement(
    "F23.openai_science_early",
    "F23",
    "OpenAI: Science share of tokens, first 4 weeks",
    "above_share",
    0.5,
    "> 50% early",
)(_author_share("F23", "OpenAI", ("Science",), "early"))
statement(
    "F23.openai_science_late",
    "F23",
    "OpenAI: Science share of tokens, recent weeks",
    "below_share",
    0.15,
    "< 15%",
)(_author_share("F23", "OpenAI", ("Science",), "recent"))
statement(
    "F23.openai_programming_late",
    "F23",
    "OpenAI: Programming share of tokens, recent weeks",
    "share_pp",
    0.29,
    "29%",
)(_author_share("F23", "OpenAI", ("Programming",), "recent"))
statement(
    "F23.openai_technology_late",
    "F23",
    "OpenAI: Technology share of tokens, recent weeks",
    "share_pp",
    0.29,
    "29%",
)(_author_share("F23", "OpenAI", ("Technology",), "recent"))
statement(
    "F23.deepseek_casual",
    "F23",
    "DeepSeek: roleplay, casual chat and entertainment share of tokens",
    "above_share",
    2 / 3,
    "> 2/3",
)(_author_share("F23", "DeepSeek", CASUAL, "all"))
statement(
    "F23.qwen_programming",
    "F23",
    "Qwen: Programming share of tokens",
    "range_pp",
    (0.40, 0.60),
    "40-60%",
)(_author_share("F23", "Qwen", ("Programming",), "all"))
