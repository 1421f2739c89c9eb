"""Retrying Web API calls: 429 after ``Retry-After``, 5xx and dropped connections with backoff.

slack-sdk only retries a 429 when a rate-limit handler is installed. Its handler waits
``Retry-After`` plus up to a whole second of jitter; ours keeps the jitter small so that a
fan-out that meets many 429s is not a second slower per retry than Slack asked for.
"""

from __future__ import annotations

import asyncio
import random

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RATE_LIMIT_RETRIES = 6
MAX_SERVER_ERROR_RETRIES = 3


def retry_after_seconds(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        wait = retry_after_seconds(response)
        state.next_attempt_requested = True
        # A little jitter so that channels limited together do not retry in lockstep.
        await asyncio.sleep(wait + random.uniform(0, min(0.2, 0.02 + 0.05 * wait)))
        state.increment_current_attempt()


class ServerErrorRetry(AsyncServerErrorRetryHandler):
    """Every 5xx, not only the 500 and 503 slack-sdk's own handler retries."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers(
    backoff: RetryIntervalCalculator | None = None,
) -> list[AsyncRetryHandler]:
    backoff = backoff or BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        RateLimitRetry(max_retry_count=MAX_RATE_LIMIT_RETRIES),
        ServerErrorRetry(max_retry_count=MAX_SERVER_ERROR_RETRIES, interval_calculator=backoff),
    ]
