"""The /auth operations and their schemas."""

from __future__ import annotations

from typing import Any

from kiln.openapi.common import errors, json_content, ref

__all__ = ["auth_paths"]


def auth_paths(schemas: dict[str, Any]) -> dict[str, Any]:
    """``/auth``: register, login, me, logout, password, verify, forgot and reset."""
    schemas["Credentials"] = {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 1},
            "session": {"type": "boolean", "description": "also set the kiln_session cookie, for browsers"},
        },
    }
    schemas["UserToken"] = {
        "type": "object",
        "required": ["user"],  # with verify_email, registering answers the user alone
        "additionalProperties": False,
        "properties": {"user": ref("User"), "token": {"type": "string"}},
    }
    register = {**schemas["UserInput"]}
    register["properties"] = {
        **{k: v for k, v in register["properties"].items() if k not in ("roles", "verified")},
        "password": {"type": "string", "minLength": 8, "maxLength": 1024},
    }
    register["required"] = ["email", "password"]
    schemas["Registration"] = register
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    verification = {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}
    verified_user = {"type": "object", "required": ["user"], "properties": {"user": ref("User")}}
    verified = {"description": "the user, now verified", "content": json_content(verified_user)}
    token = {"description": "the user and a token", "content": json_content(ref("UserToken"))}
    unauthorized = {"description": "no valid token", "content": json_content(ref("Error"))}
    notice = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
    accepted = {"description": "the same answer for any address", "content": json_content(notice)}
    return {
        "/auth/register": {
            "post": {
                "summary": "Create a user",
                "operationId": "auth_register",
                "requestBody": {"required": True, "content": json_content(ref("Registration"))},
                "responses": {"201": token, **errors(400, 409, 413, 415, 422)},
            }
        },
        "/auth/login": {
            "post": {
                "summary": "Exchange email and password for a token",
                "operationId": "auth_login",
                "requestBody": {"required": True, "content": json_content(ref("Credentials"))},
                "responses": {"200": token, "401": unauthorized, **errors(400, 403, 413, 415, 422, 429)},
            }
        },
        "/auth/verify": {
            "post": {
                "summary": "Verify an email address with the token the mail carried",
                "operationId": "auth_verify",
                "requestBody": {"required": True, "content": json_content(verification)},
                "responses": {"200": verified, **errors(400, 413, 415, 422)},
            }
        },
        "/auth/me": {
            "get": {
                "summary": "The calling user",
                "operationId": "auth_me",
                "security": bearer,
                "responses": {
                    "200": {"description": "the user", "content": json_content(ref("User"))},
                    "401": unauthorized,
                },
            }
        },
        "/auth/logout": {
            "post": {
                "summary": "Revoke the token of this request",
                "operationId": "auth_logout",
                "security": bearer,
                "responses": {"204": {"description": "revoked"}, "401": unauthorized},
            }
        },
        "/auth/password": {
            "post": {
                "summary": "Change the password; older tokens stop working",
                "operationId": "auth_password",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": json_content(
                        {
                            "type": "object",
                            "required": ["password", "new_password"],
                            "properties": {
                                "password": {"type": "string"},
                                "new_password": {"type": "string", "minLength": 8, "maxLength": 1024},
                            },
                        }
                    ),
                },
                "responses": {"200": token, "401": unauthorized, **errors(400, 413, 415, 422)},
            }
        },
        "/auth/forgot": {
            "post": {
                "summary": "Mail a password reset token, if the address is registered",
                "operationId": "auth_forgot",
                "requestBody": {
                    "required": True,
                    "content": json_content(
                        {
                            "type": "object",
                            "required": ["email"],
                            "properties": {"email": {"type": "string", "minLength": 1}},
                        }
                    ),
                },
                "responses": {"202": accepted, **errors(400, 413, 415, 422)},
            }
        },
        "/auth/reset": {
            "post": {
                "summary": "Set a new password with a reset token; older tokens stop working",
                "operationId": "auth_reset",
                "requestBody": {
                    "required": True,
                    "content": json_content(
                        {
                            "type": "object",
                            "required": ["token", "password"],
                            "properties": {
                                "token": {"type": "string", "minLength": 1},
                                "password": {"type": "string", "minLength": 8, "maxLength": 1024},
                            },
                        }
                    ),
                },
                "responses": {"200": token, **errors(400, 413, 415, 422)},
            }
        },
    }
