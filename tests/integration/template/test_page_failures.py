"""A page that fails while rendering answers the HTML 500 page; its traceback goes to the log."""

from __future__ import annotations

import re
import traceback

import pytest

from harness import TestApp


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("/broken/undefined", "UndefinedError: 'nowhere' is undefined"),
        ("/broken/filter", "TypeError"),
        ("/broken/include/missing.html", "TemplateNotFound: 'missing.html' not found"),
    ],
    ids=["undefined-name", "failing-filter", "missing-include"],
)
def test_a_failing_page_is_the_500_page_and_its_traceback_is_logged(
    site_app: TestApp, path: str, cause: str
) -> None:
    response = site_app.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    request_id = response.headers["x-request-id"]
    assert f"<code>{request_id}</code>" in response.text
    assert "<h1>500 Internal server error</h1>" in response.text
    assert "Traceback" not in response.text
    assert "nowhere" not in response.text
    if not site_app.remote:
        logged = [record for record in site_app.logs if getattr(record, "request_id", None) == request_id]
        assert [record.getMessage() for record in logged] == [f"unhandled error serving GET {path}"]
        assert cause in "".join(traceback.format_exception(*logged[0].exc_info))


def test_a_failing_page_is_html_even_for_a_client_that_asks_for_json(site_app: TestApp) -> None:
    response = site_app.get("/broken/undefined", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r"<code>[0-9a-f]+</code>", response.text)
