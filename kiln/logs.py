"""How ``kiln serve`` writes its log: one line per record, each with the request id."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["RequestIdFilter", "serve_log_config"]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Gives records from outside any request a ``-`` request id, so the format always applies."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return True


def serve_log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``kiln serve``: stderr, request ids, uvicorn included."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "kiln",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"kiln": {"format": FORMAT}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's own defaults give "uvicorn" and "uvicorn.access" handlers and stop them
        # propagating; naming "uvicorn" here removes the handlers of it and of every child logger
        # (uvicorn.error, uvicorn.access), and lets all of them propagate to the root handler
        "loggers": {"uvicorn": {"propagate": True}},
    }
