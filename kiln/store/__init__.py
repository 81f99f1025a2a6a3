"""The app's SQLite database: schema, migrations and connections."""

from kiln.store.connection import connect
from kiln.store.schema import SchemaError, create_schema, migrate, quote

__all__ = ["SchemaError", "connect", "create_schema", "migrate", "quote"]
