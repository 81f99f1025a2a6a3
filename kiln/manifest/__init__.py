"""``app.toml``: its typed model and the loader that validates all of it."""

from kiln.manifest.loader import MANIFEST, load_manifest
from kiln.manifest.model import SYSTEM_FIELDS, Entity, Field, Manifest, Route, RouteParam

__all__ = ["MANIFEST", "SYSTEM_FIELDS", "Entity", "Field", "Manifest", "Route", "RouteParam", "load_manifest"]
