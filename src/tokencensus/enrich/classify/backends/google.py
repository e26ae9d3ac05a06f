"""Google Cloud Natural Language ``classifyText`` -- the classifier the paper used.

Install with ``pip install 'tokencensus[google]'`` (google-cloud-language); the client is
imported only in this module.  Credentials come the usual Google way
(``GOOGLE_APPLICATION_CREDENTIALS`` or the gcloud login).

* **Cost first**: :func:`estimate_cost` (and ``tokencensus classify --backend google
  --dry-run``) counts billable units -- one unit per started 1,000 characters of each
  prompt, and the stage sends at most 1,000 -- and prices them with the published monthly
  tiers (:data:`PRICE_TIERS`, editable) before anything is sent.
* **Quotas**: requests are spaced to at most ``requests_per_minute`` (default 600, the
  API's default per-project quota), and a ``ResourceExhausted`` / ``ServiceUnavailable`` /
  ``DeadlineExceeded`` answer is retried with exponential backoff (``max_retries``).  Other
  errors, or a request still failing after the retries, raise ClassifierError.
* It calls the ``language_v2`` API, whose classifyText returns the V2 content categories,
  the layout of ``data/taxonomy.txt``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tokencensus.enrich.classify.backends.base import ClassifierError, Labels
from tokencensus.errors import ConfigError, MissingExtraError

__all__ = ["PRICE_TIERS", "CostEstimate", "GoogleBackend", "estimate_cost"]

#: (units up to, USD per 1,000 units) for classifyText, per month; after the free tier.
#: From cloud.google.com/natural-language/pricing, "Content Classification" (per unit of 1,000
#: characters: first 30k free, then $0.0020, $0.00050, $0.0001); check before relying on it.
PRICE_TIERS: tuple[tuple[float, float], ...] = (
    (30_000, 0.0),
    (250_000, 2.00),
    (5_000_000, 0.50),
    (math.inf, 0.10),
)
UNIT_CHARS = 1000
RETRYABLE = ("ResourceExhausted", "ServiceUnavailable", "DeadlineExceeded", "InternalServerError")


@dataclass(frozen=True)
class CostEstimate:
    prompts: int
    units: int
    usd: float
    tiers: tuple[tuple[str, int, float], ...]  # (tier label, units in tier, usd)

    def __str__(self) -> str:
        lines = [
            f"{self.prompts:,} prompts -> {self.units:,} classifyText units, estimated ${self.usd:,.2f}"
        ]
        lines += [f"  {label}: {units:,} units, ${usd:,.2f}" for label, units, usd in self.tiers]
        return "\n".join(lines)


def units_for(text: str, max_chars: int = 1000) -> int:
    """Billable units of one request: one per started 1,000 characters (at least one)."""
    return max(1, math.ceil(min(len(text), max_chars) / UNIT_CHARS))


def estimate_cost(
    texts: Sequence[str],
    *,
    already_used_units: int = 0,
    tiers: Sequence[tuple[float, float]] = PRICE_TIERS,
    max_chars: int = 1000,
) -> CostEstimate:
    """Units and price of classifying ``texts`` this month, after ``already_used_units``."""
    units = sum(units_for(t, max_chars) for t in texts)
    start, end = already_used_units, already_used_units + units
    rows, usd, lower = [], 0.0, 0.0
    for upper, price in tiers:
        used = max(0.0, min(end, upper) - max(start, lower))
        if used > 0:
            cost = used / 1000 * price
            label = f"{int(lower):,}-{'∞' if math.isinf(upper) else f'{int(upper):,}'} at ${price:.2f}/1k"
            rows.append((label, int(used), cost))
            usd += cost
        lower = upper
    return CostEstimate(len(texts), units, usd, tuple(rows))


def _make_client():
    try:
        from google.cloud import language_v2
    except ImportError:
        raise MissingExtraError(
            "The 'google' classifier backend", "google", "google-cloud-language"
        ) from None
    return language_v2.LanguageServiceClient(), language_v2


class GoogleBackend:
    """classifyText through the official client, rate-limited and retried."""

    name = "google"

    def __init__(
        self,
        *,
        client=None,
        requests_per_minute: float = 600,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_minute <= 0:
            raise ConfigError(f"requests_per_minute must be > 0; saw {requests_per_minute!r}.")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0; saw {max_retries!r}.")
        if client is None:
            client, self._types = _make_client()
        else:
            self._types = None
        self.client = client
        self.interval = 60.0 / requests_per_minute
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self._next_at = 0.0
        self.requests_sent = 0

    def _request(self, text: str) -> dict:
        document = {"content": text, "type_": "PLAIN_TEXT"}
        if self._types is not None:
            document = {"content": text, "type_": self._types.Document.Type.PLAIN_TEXT}
        return {"document": document}

    def _wait_turn(self) -> None:
        now = self._clock()
        if now < self._next_at:
            self._sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + self.interval

    def classify_one(self, text: str) -> Labels:
        attempt = 0
        while True:
            self._wait_turn()
            try:
                self.requests_sent += 1
                response = self.client.classify_text(request=self._request(text))
            except Exception as exc:  # google.api_core.exceptions.*, matched by name
                kind = type(exc).__name__
                if kind in RETRYABLE and attempt < self.max_retries:
                    self._sleep(self.backoff_s * 2**attempt)
                    attempt += 1
                    continue
                raise ClassifierError(
                    f"classifyText failed with {kind}: {exc}"
                    + (f" (after {attempt} retries)" if attempt else "")
                    + ". Check credentials, quota and billing for the project, or lower "
                    "requests_per_minute."
                ) from None
            return [(c.name, float(c.confidence)) for c in response.categories]

    def classify(self, texts: Sequence[str], ids: Sequence[str]) -> list[Labels]:
        del ids
        return [self.classify_one(t) for t in texts]
