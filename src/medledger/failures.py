"""Logging an unexpected failure without what it was working on: an error id, the exception's
type and the frames it went through — never its message, which may quote a patient's name, a
note or a driver's ``Key (...)=(...)`` detail. The HTTP 500 handler (``http.errors``) and the CLI
log through here and show their user the error id.
"""

from __future__ import annotations

import logging
import secrets
import traceback

logger = logging.getLogger("medledger.errors")


def error_type(error: BaseException) -> str:
    """``module.Class`` of the exception, and of the driver's error a SQLAlchemy one wraps."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    orig = getattr(error, "orig", None)
    return kind if orig is None else f"{kind} ({type(orig).__module__}.{type(orig).__qualname__})"


def log_failure(error: BaseException, where: str) -> str:
    """Log an unexpected failure without its message; the error id to show its user."""
    error_id = secrets.token_hex(6)
    frames = " < ".join(
        f"{frame.filename}:{frame.lineno} {frame.name}"
        for frame in reversed(traceback.extract_tb(error.__traceback__))
    )
    logger.error("error %s: %s in %s at %s", error_id, error_type(error), where, frames)
    return error_id
