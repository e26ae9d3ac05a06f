"""The rise of agentic inference: reasoning models, tool calls, longer prompts and sequences.

Five proxies of multi-step, tool-using workloads: the share of tokens served by
**reasoning models** (a catalog flag: the model reasons natively by default, not
the reasoning-token count of a request), the share of tokens from requests that
ended in a **tool call** (finish reason ``tool_calls``), and the mean **prompt**,
**completion** and **sequence** (prompt + completion) lengths per request, overall
and for programming prompts.
"""

from __future__ import annotations

import ibis
from ibis import _

from tokencensus.analyses.common import top_levels, top_model_shares, weekly_shares, with_users
from tokencensus.analyses.registry import StudyConfig, artifact, section
from tokencensus.chartspec import Bar, Line, StackedArea

SECTION = section("agentic", "4", "The rise of agentic inference", __doc__ or "")

REASONING_LEVELS = ("Reasoning", "Non-reasoning")


def _reasoning_label(t: ibis.Table) -> ibis.Table:
    return t.mutate(model_type=ibis.ifelse(t.reasoning, "Reasoning", "Non-reasoning"))


@artifact(
    "F10",
    title="Reasoning vs. non-reasoning models: weekly share of tokens",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="model_type",
        color_order=REASONING_LEVELS,
        y_format="percent",
        y_title="share of tokens",
        tooltip=("tokens",),
    ),
    caption="""
        Share of each week's tokens served by models the catalog marks as native reasoning
        models (they reason by default), whatever the request's own reasoning-token count.
        Tokens of models missing from the catalog are left out.
    """,
    order_by=("week", "model_type"),
    complement=("week",),
    by_week=True,
)
def weekly_reasoning_share(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    known = _reasoning_label(weekly_facts.filter(_.known))
    shares = weekly_shares(known, "model_type", levels=REASONING_LEVELS)
    users = _reasoning_label(user_weekly.filter(_.known))
    return with_users(shares, users, ["week", "model_type"])


def _recent(t: ibis.Table, weeks: int) -> ibis.Table:
    last = t.week.max()
    cutoff = last.cast("timestamp") - ibis.interval(days=7 * (weeks - 1))
    return t.filter(t.week.cast("timestamp") >= cutoff)


@artifact(
    "F11",
    title="Top reasoning models by tokens (recent weeks)",
    section=SECTION,
    chart=Bar(x="tokens", y="name", x_title="tokens", y_format="si", tooltip=("share",)),
    caption="""
        Reasoning models ranked by tokens over the last {recent_weeks} weeks of the window,
        with each model's share of all reasoning-model tokens in those weeks.
    """,
    order_by=("rank",),
    complement=(),
    keys=("rank", "model", "name", "author"),
)
def top_reasoning_models(
    weekly_facts: ibis.Table, user_weekly: ibis.Table, config: StudyConfig
) -> ibis.Table:
    recent = _recent(weekly_facts.filter(_.reasoning), config.recent_weeks)
    per_model = recent.group_by("model").agg(
        name=_.model_name.max(), author=_.author.max(), tokens=_.tokens.sum()
    )
    per_model = per_model.mutate(
        share=(per_model.tokens / per_model.tokens.sum().over()).cast("float64"),
        rank=ibis.row_number().over(order_by=[per_model.tokens.desc(), per_model.model]) + 1,
    )
    top = per_model.filter(per_model.rank <= 10)
    users = _recent(user_weekly.filter(_.reasoning), config.recent_weeks)
    return with_users(top, users, ["model"]).select(
        "rank", "model", "name", "author", "tokens", "share", "users"
    )


@artifact(
    "F12",
    title="Tool calls: weekly share of tokens from requests that ended in a tool call",
    section=SECTION,
    chart=Line(
        x="week",
        y="share",
        y_format="percent",
        y_title="share of tokens",
        tooltip=("tokens", "total_tokens", "top_account_share"),
    ),
    caption="""
        Tokens of requests whose normalized finish reason is tool_calls, as a share of all
        tokens that week. top_account_share is the part of that week's tool-call tokens
        coming from its largest single account, so a spike driven by one account shows.
        Privacy: top_account_share describes one account by construction, the single
        stated exception to the rule that no cell describes fewer than {min_users} users;
        it is published only in weeks with at least {min_users} users with tool calls
        (users), like every other number of the row.
    """,
    order_by=("week",),
    single_account=("top_account_share",),
    by_week=True,
)
def weekly_tool_call_share(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    tool = weekly_facts.finish_reason == "tool_calls"
    weekly = weekly_facts.group_by("week").agg(
        tokens=ibis.ifelse(tool, weekly_facts.tokens, 0).sum(),
        total_tokens=weekly_facts.tokens.sum(),
    )
    per_account = user_weekly.group_by("week", "user_id").agg(tool_tokens=_.tool_call_tokens.sum())
    top = per_account.group_by("week").agg(top_account_tokens=_.tool_tokens.max())
    j = weekly.left_join(top, weekly.week == top.week).drop("week_right")
    out = j.mutate(
        share=ibis.ifelse(j.total_tokens > 0, j.tokens / j.total_tokens, ibis.null()).cast(
            "float64"
        ),
        top_account_share=ibis.ifelse(
            j.tokens > 0, j.top_account_tokens / j.tokens, ibis.null()
        ).cast("float64"),
    ).drop("top_account_tokens")
    return with_users(out, user_weekly, ["week"], where=user_weekly.tool_call_tokens > 0)


@artifact(
    "F13",
    title="Top 10 models by tool-call tokens over time",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="name",
        y_format="percent",
        y_title="share of tool-call tokens",
        tooltip=("model", "tokens"),
    ),
    caption="""
        Each week's tool-call tokens (finish reason tool_calls) split among the ten models
        with the most tool-call tokens over the window; the rest are grouped as 'Other'.
    """,
    order_by=("week", "model"),
    complement=("week",),
    by_week=True,
    context=lambda weekly_facts: top_levels(
        weekly_facts.filter(_.finish_reason == "tool_calls"), 10, "Other"
    ),
)
def top_tool_call_models(
    weekly_facts: ibis.Table, user_weekly: ibis.Table, context: ibis.Table
) -> ibis.Table:
    tool = weekly_facts.filter(_.finish_reason == "tool_calls")
    users = user_weekly.filter(_.tool_call_tokens > 0)
    return top_model_shares(tool, users, context, "Other")


def _weekly_means(weekly_facts: ibis.Table, **means: ibis.Deferred) -> ibis.Table:
    w = weekly_facts.group_by("week").agg(
        requests=_.requests.sum(),
        prompt_tokens=_.prompt_tokens.sum(),
        completion_tokens=_.completion_tokens.sum(),
        reasoning_tokens=_.reasoning_tokens.sum(),
    )
    return w.mutate(**means)


@artifact(
    "F14",
    title="Mean prompt tokens per request",
    section=SECTION,
    chart=Line(x="week", y="mean_prompt_tokens", y_title="prompt tokens per request"),
    caption="""
        Prompt tokens divided by requests, per week, over all requests.
    """,
    order_by=("week",),
    by_week=True,
)
def weekly_mean_prompt(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    w = _weekly_means(weekly_facts, mean_prompt_tokens=(_.prompt_tokens / _.requests))
    out = w.select("week", mean_prompt_tokens=w.mean_prompt_tokens.cast("float64"))
    return with_users(out, user_weekly, ["week"])


@artifact(
    "F15",
    title="Mean completion tokens per request",
    section=SECTION,
    chart=Line(
        x="week",
        y="tokens_per_request",
        color="part",
        color_order=("completion", "of which reasoning"),
        y_title="tokens per request",
    ),
    caption="""
        Completion tokens per request each week, and the part of them that are reasoning
        tokens (reasoning tokens are counted inside completion tokens).
    """,
    order_by=("week", "part"),
    by_week=True,
)
def weekly_mean_completion(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    w = _weekly_means(
        weekly_facts,
        completion=(_.completion_tokens / _.requests).cast("float64"),
        reasoning=(_.reasoning_tokens / _.requests).cast("float64"),
    )
    completion = w.select("week", part=ibis.literal("completion"), tokens_per_request=w.completion)
    reasoning = w.select(
        "week", part=ibis.literal("of which reasoning"), tokens_per_request=w.reasoning
    )
    return with_users(completion.union(reasoning), user_weekly, ["week"])


@artifact(
    "F17",
    title="Mean sequence length (prompt + completion) per request",
    section=SECTION,
    chart=Line(x="week", y="mean_sequence_tokens", y_title="tokens per request"),
    caption="""
        Prompt plus completion tokens divided by requests, per week, over all requests.
    """,
    order_by=("week",),
    by_week=True,
)
def weekly_mean_sequence(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    w = _weekly_means(
        weekly_facts,
        mean_sequence_tokens=((_.prompt_tokens + _.completion_tokens) / _.requests).cast("float64"),
    )
    return with_users(w.select("week", "mean_sequence_tokens", "requests"), user_weekly, ["week"])
