"""Entity REST collections: list queries, relations, deletes and the endpoints."""

from kiln.entities.collection import Collection
from kiln.entities.query import ListQuery, parse_list_query

__all__ = ["Collection", "ListQuery", "parse_list_query"]
