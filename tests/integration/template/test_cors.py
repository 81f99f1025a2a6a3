"""``[app] cors_origins``: browsers on those origins may call the API; others get no CORS headers."""

from __future__ import annotations

from harness import TestApp, assert_error

PARTNER = "https://partner.example"


def test_a_preflight_from_a_listed_origin_is_allowed(site_app: TestApp) -> None:
    response = site_app.options(
        "/api/notes",
        headers={
            "Origin": PARTNER,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "if-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PARTNER
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, POST, PUT, PATCH, DELETE"
    assert "If-Match" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"] == "600"


def test_an_answer_to_a_listed_origin_exposes_kilns_headers(site_app: TestApp) -> None:
    response = site_app.post("/api/notes", json={"text": "from a partner"}, headers={"Origin": PARTNER})
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == PARTNER
    assert response.headers["access-control-expose-headers"] == "ETag, Location, X-Request-Id"


def test_another_origin_gets_no_cors_headers(site_app: TestApp) -> None:
    response = site_app.get("/api/notes", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_from_another_origin_is_refused_in_the_envelope(site_app: TestApp) -> None:
    response = site_app.options(
        "/api/notes", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    error = assert_error(response, 400, "bad_request")
    assert error["message"] == "Disallowed CORS origin"


def test_options_without_cors_still_lists_the_methods(site_app: TestApp) -> None:
    response = site_app.options("/api/notes")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
