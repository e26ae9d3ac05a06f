from __future__ import annotations

import pytest

from tokencensus.enrich.classify.taxonomy import (
    OTHERS,
    STUDY_CATEGORIES,
    load_mapping,
    load_taxonomy,
    rollup_labels,
    validate_path,
)
from tokencensus.errors import ConfigError

# Paths and tags the paper names (section 2.2, 5.2, F21, F29).
PAPER_PATHS = {
    "/Computers & Electronics/Programming": ("Programming/Other", "Programming"),
    "/Computers & Electronics/Programming/Development Tools": ("Development Tools", "Programming"),
    "/Games/Roleplaying Games": ("Games/Roleplaying Games", "Roleplay"),
    "/Reference/Language Resources/Foreign Language Resources": (
        "Foreign Language Resources",
        "Translation",
    ),
    "/Reference/General Reference/Dictionaries & Encyclopedias": (
        "General Reference/Other",
        "General Q&A",
    ),
    "/News/World News": ("News", "General Q&A"),
    "/Computers & Electronics/Software/Business & Productivity Software": (
        "Productivity Software",
        "Productivity",
    ),
    "/Business & Industrial/Business Services/Writing & Editing Services": (
        "Writing & Editing",
        "Productivity",
    ),
    "/Jobs & Education/Education/Distance Learning": ("Education/Other", "Education"),
    "/Books & Literature/Writers Resources": ("Writers Resources", "Creative Writing"),
    "/Adult": ("Adult", "Adult"),
    "/Science/Computer Science/Machine Learning & Artificial Intelligence": (
        "Machine Learning & AI",
        "Science",
    ),
    "/Science/Computer Science": ("Computer Science", "Programming"),
    "/Law & Government/Government": ("Government/Other", "Legal"),
    "/Law & Government/Legal": ("Legal/Other", "Legal"),
    "/Computers & Electronics/Software/Intelligent Personal Assistants": (
        "Intelligent Assistants",
        "Technology",
    ),
    "/Finance/Investing/Currencies & Foreign Exchange": (
        "Currencies & Foreign Exchange",
        "Finance",
    ),
    "/Finance/Investing/Socially Responsible Investing": (
        "Socially Responsible Investing",
        "Finance",
    ),
    "/Finance/Accounting & Auditing": ("Accounting & Auditing", "Finance"),
    "/Health/Mental Health/Counseling Services": ("Counseling Services", "Health"),
    "/Health/Medical Literature & Resources/Medical Research": ("Medical Research", "Health"),
}


@pytest.mark.parametrize(("path", "expected"), PAPER_PATHS.items())
def test_paper_paths_roll_up(path, expected):
    assert load_mapping().resolve(path) == expected
    assert path in load_taxonomy()


def test_every_mapping_prefix_is_in_taxonomy_and_categories_cover_study():
    mapping = load_mapping()
    assert set(mapping.rules) <= load_taxonomy()
    assert set(STUDY_CATEGORIES) <= set(mapping.categories)
    for extra in ("Academia", "Marketing", "Trivia", "Adult", OTHERS):
        assert extra in mapping.categories


def test_unknown_path_falls_back_to_others():
    assert load_mapping().resolve("/Food & Drink/Cooking & Recipes") == (
        "Food & Drink/Other",
        OTHERS,
    )
    # segment-aware: /Finance does not match /Financeville
    assert load_mapping().category("/Financeville") == OTHERS


def test_rollup_split_weights_sum_to_one_and_flag_others():
    rows = rollup_labels(
        ["/Computers & Electronics/Programming", "/Food & Drink", "/Adult"], [0.9, 0.6, 0.3]
    )
    assert [r.category for r in rows] == ["Programming", OTHERS]
    assert rows[0].weight == pytest.approx(0.6)
    assert rows[1].is_other
    assert sum(r.weight for r in rows) == pytest.approx(1.0)


def test_rollup_primary_files_tags_under_top_category():
    rows = rollup_labels(
        ["/Games/Roleplaying Games", "/Adult", "/Books & Literature/Writers Resources"],
        [0.9, 0.6, 0.5],
        rule="primary",
    )
    assert {r.category for r in rows} == {"Roleplay"}
    assert [r.tag for r in rows] == ["Games/Roleplaying Games", "Adult", "Writers Resources"]


def test_rollup_no_label_is_others():
    assert rollup_labels([], []) == [("", OTHERS, OTHERS, 1.0, True)]
    assert rollup_labels(["/Adult"], [0.2])[0].category == OTHERS


def test_rollup_errors():
    with pytest.raises(
        ConfigError,
        match=r"Unknown roll-up rule .primery.; use one of split, primary\. Did you mean primary\?",
    ):
        rollup_labels([], [], rule="primery")
    with pytest.raises(ConfigError, match="rollup_labels got 1 paths but 0 confidences"):
        rollup_labels(["/Adult"], [])


@pytest.mark.parametrize("bad", ["Computers", "/a//b", "/a/", 3, None])
def test_validate_path_rejects(bad):
    with pytest.raises(ConfigError, match="Bad content-category path"):
        validate_path(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n/x,y\n", "must have the columns path_prefix,tag,category"),
        ("path_prefix,tag,category\n/x,,C\n", "row 2: tag and category must not be empty"),
        ("path_prefix,tag,category\n/x,T,C\n/x,T,C\n", "row 3: prefix '/x' appears twice"),
        ("path_prefix,tag,category\n/x,T,C\n/y,T,D\n", "tag 'T' rolls up to 'C' and 'D'"),
        ("path_prefix,tag,category\nx,T,C\n", "row 2: Bad content-category path 'x'"),
    ],
)
def test_mapping_file_errors(tmp_path, text, message):
    f = tmp_path / "m.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_mapping(f)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_mapping(tmp_path / "nope.csv")


def test_custom_mapping_is_used(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(
        "# comment\npath_prefix,tag,category\n/Food & Drink,Cooking,Lifestyle\n", encoding="utf-8"
    )
    assert load_mapping(f).resolve("/Food & Drink/Recipes") == ("Cooking", "Lifestyle")
    assert "Lifestyle" in load_mapping(f).categories
