"""The logger slack-sdk's Web API client writes to, with a level of its own.

slack-sdk (3.47, ``web/async_internal_utils.py``) decides whether to build its debug
lines for a call (the URL, every parameter including the whole Block Kit payload, and the
response body) by testing ``logger.level <= DEBUG``, not ``isEnabledFor(DEBUG)``. Its
default module logger is left at NOTSET, whose level is 0, so every call formats those
lines and then drops them. A logger whose level is set to what is in effect keeps the
lines when debugging is on and skips the formatting when it is off.
"""

from __future__ import annotations

import logging

NAME = "slack_sdk.web.mlq"  # under slack_sdk, so settings for "slack_sdk" still apply


def client_logger() -> logging.Logger:
    """For ``AsyncWebClient(logger=...)``; call after logging is configured."""
    logger = logging.getLogger(NAME)
    logger.setLevel(logging.NOTSET)  # so the line below reads the configured level
    logger.setLevel(logger.getEffectiveLevel())
    return logger
