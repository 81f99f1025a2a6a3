"""The app's SQLite database: schema, migrations and connections."""

from kiln.errors import SchemaError
from kiln.store.connection import connect
from kiln.store.database import DB_NAME, Database
from kiln.store.queries import QueryLog
from kiln.store.schema import create_schema, migrate, quote

__all__ = ["DB_NAME", "Database", "QueryLog", "SchemaError", "connect", "create_schema", "migrate", "quote"]
