"""The app's SQLite database: schema, migrations and connections."""

from kiln.store.connection import connect
from kiln.store.database import Database
from kiln.store.queries import QueryLog
from kiln.store.schema import SchemaError, create_schema, migrate, quote

__all__ = ["Database", "QueryLog", "SchemaError", "connect", "create_schema", "migrate", "quote"]
