"""Declared routes: templates, handlers and redirects, and what handlers receive."""

from kiln.routing.context import HandlerContext
from kiln.routing.router import declared_routes
from kiln.routing.templates import Templates, check_template

__all__ = ["HandlerContext", "Templates", "check_template", "declared_routes"]
