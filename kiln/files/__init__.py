"""Uploaded files: streaming multipart uploads into content-addressed blobs, downloads, and the
references that decide when a blob goes."""

from kiln.files.blobs import BlobStore, Incoming
from kiln.files.multipart import Form, read_form
from kiln.files.references import check_file_references
from kiln.files.routes import file_routes

__all__ = ["BlobStore", "Form", "Incoming", "check_file_references", "file_routes", "read_form"]
