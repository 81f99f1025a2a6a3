"""What every kiln response shares: the error envelope, request ids, JSON bodies and OPTIONS."""

from kiln.http.body import read_json
from kiln.http.errors import envelope, error_response, exception_handlers
from kiln.http.options import OptionsMiddleware
from kiln.http.requestid import RequestIdMiddleware, current_request_id, install_log_record_factory
from kiln.http.responses import JSONResponse

__all__ = [
    "JSONResponse",
    "OptionsMiddleware",
    "RequestIdMiddleware",
    "current_request_id",
    "envelope",
    "error_response",
    "exception_handlers",
    "install_log_record_factory",
    "read_json",
]
