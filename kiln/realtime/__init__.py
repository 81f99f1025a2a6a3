"""Realtime: WebSocket rooms at ``/ws``, each connection with its own bounded queue."""

from kiln.realtime.endpoint import realtime_routes
from kiln.realtime.hub import Hub

__all__ = ["Hub", "realtime_routes"]
