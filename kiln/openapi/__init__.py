"""The OpenAPI 3.1 document of a kiln app: `kiln openapi` and `/openapi.json`."""

from kiln.openapi.document import openapi_document

__all__ = ["openapi_document"]
