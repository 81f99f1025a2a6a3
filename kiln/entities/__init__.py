"""Entity REST collections: records, list queries and the endpoints."""

from kiln.entities.collection import Collection
from kiln.entities.query import ListQuery, parse_list_query
from kiln.entities.records import Shape, etag, validate

__all__ = ["Collection", "ListQuery", "Shape", "etag", "parse_list_query", "validate"]
