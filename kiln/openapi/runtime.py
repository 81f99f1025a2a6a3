"""The runtime's admin endpoints in OpenAPI: cron jobs, their runs and history, the inbox, and
workflow runs."""

from __future__ import annotations

from typing import Any

from kiln.manifest.model import Manifest
from kiln.openapi.common import errors, json_content, ref
from kiln.workflows.events import EVENT_TYPES, STATUSES

__all__ = ["runtime_paths"]

_ADMIN = ("auth", "role:admin")
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
_STAMP = {"type": "string", "format": "date-time"}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _items(schema: str, *, paged: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {"items": {"type": "array", "items": ref(schema)}}
    if paged:
        properties |= {name: {"type": "integer"} for name in ("page", "per_page", "total")}
    return _object(properties)


def _get(summary: str, operation_id: str, schema: dict[str, Any], *statuses: int) -> dict[str, Any]:
    return {
        "summary": summary,
        "operationId": operation_id,
        "security": _SECURED,
        "responses": {
            "200": {"description": summary, "content": json_content(schema)},
            **errors(*statuses, guards=_ADMIN),
        },
    }


def runtime_paths(manifest: Manifest, schemas: dict[str, Any]) -> dict[str, Any]:
    """The paths of the cron and inbox endpoints ``manifest`` has, adding their schemas to ``schemas``."""
    if manifest.auth is None:
        return {}
    paths: dict[str, Any] = {}
    nullable_stamp = {"type": ["string", "null"], "format": "date-time"}
    if manifest.cron:
        schemas["CronJob"] = _object(
            {
                "name": {"type": "string"},
                "schedule": {"type": "string"},
                "next_run": _STAMP,
                "last_run": nullable_stamp,
                "last_status": {"type": ["string", "null"], "enum": ["ok", "error", "running", None]},
            }
        )
        schemas["CronRun"] = _object(
            {
                "id": {"type": "integer"},
                "trigger": {"type": "string", "enum": ["schedule", "manual", "missed"]},
                "started_at": _STAMP,
                "finished_at": nullable_stamp,
                "status": {"type": "string", "enum": ["ok", "error", "running"]},
                "error": {"type": ["string", "null"]},
            }
        )
        schemas["CronJobs"] = _items("CronJob")
        schemas["CronRuns"] = _items("CronRun")
        paths["/api/_cron"] = {"get": _get("List the cron jobs", "list_cron_jobs", ref("CronJobs"))}
        trigger = _get("Run a cron job now", "trigger_cron_job", ref("CronRun"), 404, 409)
        paths["/api/_cron/{name}/trigger"] = {"parameters": [_NAME], "post": trigger}
        history = _get("A cron job's runs, newest first", "cron_job_history", ref("CronRuns"), 404)
        paths["/api/_cron/{name}/history"] = {"parameters": [_NAME], "get": history}
    if manifest.mail is not None and manifest.mail.inbound is not None:
        attachment = _object(
            {"name": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"}}
        )
        schemas["InboxMail"] = _object(
            {
                "id": {"type": "integer"},
                "from": {"type": "string"},
                "to": {"type": "array", "items": {"type": "string"}},
                "subject": {"type": "string"},
                "text": {"type": ["string", "null"]},
                "html": {"type": ["string", "null"]},
                "attachments": {"type": "array", "items": attachment},
                "received_at": _STAMP,
            }
        )
        schemas["Inbox"] = _items("InboxMail", paged=True)
        inbox = _get("The received mail, newest first", "list_inbox", ref("Inbox"), 400)
        paths["/api/_mail/inbox"] = {"get": {**inbox, "parameters": _PAGING}}
    if manifest.workflows:
        paths |= _workflow_paths(manifest, schemas)
    return paths


def _workflow_paths(manifest: Manifest, schemas: dict[str, Any]) -> dict[str, Any]:
    """Starting runs of the app's workflows, and reading them."""
    statuses, types = list(STATUSES), list(EVENT_TYPES)
    run = _object(
        {
            "id": {"type": "string"},
            "workflow": {"type": "string"},
            "status": {"type": "string", "enum": statuses},
            "input": {},
            "output": {},
            "error": {"type": ["string", "null"]},
            "attempts": {"type": "integer"},
            "scratchpad": {"type": "object"},
            "created_at": _STAMP,
            "updated_at": _STAMP,
        }
    )
    event = _object(
        {
            "seq": {"type": "integer"},
            "type": {"type": "string", "enum": types},
            "step": {"type": ["string", "null"]},
            "data": {},
            "at": _STAMP,
        }
    )
    schemas["WorkflowRun"] = run
    schemas["WorkflowEvent"] = event
    schemas["WorkflowRuns"] = _items("WorkflowRun", paged=True)
    start_body = {
        "type": "object",
        "properties": {"input": {}, "id": {"type": "string", "minLength": 1, "maxLength": 200}},
    }
    started = {"description": "the new run, pending", "content": json_content(ref("WorkflowRun"))}
    existing = {
        "description": "the run that has this id already",
        "content": json_content(ref("WorkflowRun")),
    }
    name = {**_NAME, "schema": {"type": "string", "enum": [w.name for w in manifest.workflows]}}
    start = {
        "summary": "Start a run of a workflow",
        "operationId": "start_workflow_run",
        "security": _SECURED,
        "requestBody": {"required": False, "content": json_content(start_body)},
        "responses": {"202": started, "200": existing, **errors(404, 413, 415, 422, guards=_ADMIN)},
    }
    shown = {
        **run,
        "properties": {**run["properties"], "events": {"type": "array", "items": ref("WorkflowEvent")}},
    }
    show = _get("A workflow run", "get_workflow_run", shown, 400, 404)
    show["parameters"] = [
        {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "events", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
    ]
    filters = [
        {"name": "workflow", "in": "query", "schema": {"type": "string"}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": statuses}},
        *_PAGING,
    ]
    listing = {**_get("Workflow runs, newest first", "list_workflow_runs", ref("WorkflowRuns"), 400, 404)}
    listing["parameters"] = filters
    return {
        "/api/_workflows/runs": {"get": listing},
        "/api/_workflows/runs/{run_id}": {"get": show},
        "/api/_workflows/{name}": {"parameters": [name], "post": start},
    }
