"""Every route of the files API, for an app that serves files (see ``../shared/PRODUCT.md`` §4 Files).

| route | who |
|---|---|
| ``POST /api/_files`` | ``[files] upload`` (default ``auth``) |
| ``GET /api/_files?prefix=``, ``DELETE /api/_files/{id}`` | ``role:admin`` |
| ``POST /api/_files/presign`` | ``[files] presign`` (default ``role:admin``) |
| ``GET /files/{id}/{name}[?thumb=WxH]`` | readers of a record that refers to it, its uploader, admins |
| ``GET`` / ``PUT /files/presigned/{name}`` | whoever holds a valid presigned URL |
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kiln.files.admin import admin_endpoints
from kiln.files.endpoints import transfer_endpoints
from kiln.files.presigned import presign_endpoints
from kiln.manifest.model import Manifest

__all__ = ["file_routes"]


def file_routes(manifest: Manifest) -> list[BaseRoute]:
    """The routes, one per path, so a wrong method is a 405 that lists every allowed one."""
    upload, download = transfer_endpoints(manifest)
    admin = admin_endpoints(manifest)
    presigning = presign_endpoints(manifest)

    async def collection(request: Request) -> Response:
        if request.method == "POST":
            return await upload(request)
        assert admin is not None  # GET is routed only when there is a listing
        return await admin[0](request)

    routes: list[BaseRoute] = [
        Route("/api/_files", collection, methods=["POST", *(["GET"] if admin else [])], name="files"),
        Route("/files/{id:int}/{name:path}", download, methods=["GET"], name="files-download"),
    ]
    if admin is not None:
        routes.append(Route("/api/_files/{id:int}", admin[1], methods=["DELETE"], name="files-delete"))
    if presigning is not None:
        presign, presigned = presigning
        routes += [
            Route("/api/_files/presign", presign, methods=["POST"], name="files-presign"),
            Route("/files/presigned/{name:path}", presigned, methods=["GET", "PUT"], name="files-presigned"),
        ]
    return routes
