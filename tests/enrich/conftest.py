from __future__ import annotations

import pytest

from tokencensus.enrich.classify.backends.base import Labels


class KeywordBackend:
    """A deterministic stand-in backend for stage tests."""

    name = "keyword"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, texts, ids) -> list[Labels]:
        self.seen.extend(texts)
        out = []
        for t in texts:
            if "code" in t:
                out.append(
                    [
                        ("/Computers & Electronics/Programming", 0.9),
                        ("/Computers & Electronics", 0.7),
                    ]
                )
            elif "poem" in t:
                out.append(
                    [
                        ("/Books & Literature/Poetry", 0.8),
                        ("/Books & Literature", 0.95),
                        ("/Adult", 0.2),
                    ]
                )
            else:
                out.append([("/Food & Drink", 0.3)])
        return out


@pytest.fixture
def keyword_backend() -> KeywordBackend:
    return KeywordBackend()
