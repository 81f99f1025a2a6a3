"""Declared routes: templates, handlers and redirects."""

from kiln.routing.router import declared_routes

__all__ = ["declared_routes"]
