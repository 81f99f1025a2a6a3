"""TestApp serves every kind of target over a real socket and hands out working clients."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import sample_apps
from websockets.exceptions import ConnectionClosed

from harness import HarnessError, StartError, TargetError, TestApp

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_testapp_serves_asgi_object_on_loopback_port() -> None:
    with TestApp(sample_apps.app) as app:
        assert app.url == f"http://127.0.0.1:{app.port}"
        assert app.port > 0
        response = app.get("/echo", params={"q": "1"}, headers={"x-test": "yes"})
        assert response.json() == {
            "method": "GET",
            "path": "/echo",
            "query": {"q": "1"},
            "body": "",
            "header": "yes",
        }
        # a second, independent client reaches the same server over the network
        assert httpx.get(f"{app.url}/echo").json()["path"] == "/echo"


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_testapp_shortcut_sends_body(method: str) -> None:
    with TestApp(sample_apps.app) as app:
        response = getattr(app, method)("/echo", json={"n": 1})
        assert response.json()["method"] == method.upper()
        assert json.loads(response.json()["body"]) == {"n": 1}


@pytest.mark.parametrize(
    ("method", "expected_body"),
    [("delete", '"DELETE"'), ("options", '"OPTIONS"'), ("head", "")],
)
def test_testapp_shortcut_without_body(method: str, expected_body: str) -> None:
    with TestApp(sample_apps.app) as app:
        response = getattr(app, method)("/echo")
        assert response.status_code == 200
        if expected_body:
            assert f'"method":{expected_body}' in response.text
        else:
            assert response.content == b""  # HEAD has headers only
            assert int(response.headers["content-length"]) > 0


def test_testapp_request_takes_httpx_keywords() -> None:
    with TestApp(sample_apps.app) as app:
        response = app.request("POST", "/echo", content=b"raw", headers={"x-test": "r"})
        assert response.json()["body"] == "raw"
        assert response.json()["header"] == "r"


def test_testapp_client_is_shared_and_bound_to_url() -> None:
    with TestApp(sample_apps.app) as app:
        assert app.client is app.client
        assert str(app.client.base_url) == app.url
        assert app.client.get("/echo").status_code == 200


def test_testapp_reuses_one_keep_alive_connection() -> None:
    with TestApp(sample_apps.app) as app:
        for _ in range(3):
            assert app.get("/echo").headers.get("connection") != "close"
        assert len(app.client._transport._pool.connections) == 1  # type: ignore[attr-defined]


def test_testapp_websocket_echoes_text_and_bytes() -> None:
    with TestApp(sample_apps.app) as app, app.ws("/ws") as ws:
        ws.send("hi")
        assert ws.recv(timeout=2) == "echo:hi"
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=2) == b"\x00\x01"


def test_testapp_websocket_sends_token_as_query_parameter() -> None:
    with TestApp(sample_apps.app) as app:
        ws = app.ws("/ws", token="abc", params={"room": "r1"})
        ws.send("x")
        assert ws.recv(timeout=2) == "echo:x"
        assert app.requests[-1].path == "/ws?room=r1&token=abc"


def test_testapp_websocket_adds_its_query_to_one_in_the_path() -> None:
    with TestApp(sample_apps.app) as app:
        ws = app.ws("/ws?room=r1", token="abc", additional_headers={"X-Request-Id": "ws-1"})
        ws.send("x")
        assert ws.recv(timeout=2) == "echo:x"
        assert (app.requests[-1].path, app.requests[-1].request_id) == ("/ws?room=r1&token=abc", "ws-1")


def test_testapp_websocket_ignores_proxies_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALL_PROXY", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    with TestApp(sample_apps.app) as app, app.ws("/ws") as ws:
        ws.send("direct")
        assert ws.recv(timeout=2) == "echo:direct"


def test_testapp_close_closes_client_websockets_with_1001(events: list[str]) -> None:
    app = TestApp(sample_apps.app)
    ws = app.ws("/ws")
    ws.send("ping")
    ws.recv(timeout=2)
    app.close()
    assert (ws.close_code, ws.close_reason) == (1001, "test app closing")
    assert events == ["ws-disconnect:1001"]


def test_testapp_stop_closes_foreign_websockets_with_1012(events: list[str]) -> None:
    from websockets.sync.client import connect

    app = TestApp(sample_apps.app)
    foreign = connect(f"ws://127.0.0.1:{app.port}/ws", proxy=None, legacy=True)  # not opened through app.ws
    foreign.send("ping")
    foreign.recv(timeout=2)
    app.close()
    with pytest.raises(ConnectionClosed):
        foreign.recv(timeout=2)
    assert foreign.close_code == 1012
    foreign.close()
    assert events == ["ws-disconnect:1012"]


def test_testapp_serves_module_attr_string() -> None:
    with TestApp("sample_apps:app") as app:
        assert app.get("/echo").json()["path"] == "/echo"
        assert app.name == "Starlette"


def test_testapp_serves_bare_asgi_function_without_lifespan() -> None:
    with TestApp(sample_apps.bare_asgi) as app:
        assert app.get("/anything").text == "bare"


def test_testapp_calls_factory_with_fresh_data_dir() -> None:
    with TestApp(sample_apps.counter_factory) as app:
        body = app.post("/hit", params={"label": "a"}).json()
        assert body == {"count": 1, "data_dir": str(app.data_dir)}
        assert app.db["hits"].count == 1
        assert [row["label"] for row in app.db["hits"].rows] == ["a"]


def test_testapp_passes_settings_to_factory_that_accepts_them() -> None:
    with TestApp(sample_apps.settings_factory, settings={"color": "red"}) as app:
        assert app.get("/settings").json() == {"color": "red"}


def test_testapp_rejects_settings_for_factory_without_them(data_root: Path) -> None:
    with pytest.raises(TargetError, match="does not accept settings="):
        TestApp(sample_apps.counter_factory, settings={"x": 1}, data_root=data_root)
    assert list(data_root.iterdir()) == []


def test_testapp_rejects_settings_for_plain_asgi_app() -> None:
    with pytest.raises(TargetError, match="settings= and secrets= need"):
        TestApp(sample_apps.app, secrets={"k": "v"})


def test_testapp_serves_kiln_folder_with_its_database() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        assert app.get("/health").json() == {"status": "ok", "app": "todo", "mode": "dev"}
        assert app.name == "todo"
        assert app.db_path == app.data_dir / "kiln.db"
        assert {"todos", "projects", "categories"} <= set(app.db.table_names())
        assert app.db["todos"].count == 0


def test_testapp_two_kiln_instances_get_separate_databases() -> None:
    with TestApp(FIXTURES / "todo-app") as one, TestApp(FIXTURES / "todo-app") as two:
        one.db["projects"].insert({"name": "only-in-one", "created_at": "x", "updated_at": "x"})
        assert one.db["projects"].count == 1
        assert two.db["projects"].count == 0
        assert one.db_path != two.db_path


def test_testapp_two_instances_have_separate_state() -> None:
    with TestApp(sample_apps.counter_factory) as one, TestApp(sample_apps.counter_factory) as two:
        assert one.port != two.port
        assert one.data_dir != two.data_dir
        one.post("/hit")
        one.post("/hit")
        assert two.post("/hit").json()["count"] == 1
        assert one.db["hits"].count == 2
        assert two.db["hits"].count == 1


def test_testapp_rejects_non_callable_target() -> None:
    with pytest.raises(TargetError, match="cannot serve 42"):
        TestApp(42)  # type: ignore[arg-type]


def test_testapp_rejects_callable_with_wrong_arity() -> None:
    def two_args(a: object, b: object) -> None: ...

    with pytest.raises(TargetError, match=r"locals>\.two_args\(a: 'object', b: 'object'\)"):
        TestApp(two_args)  # type: ignore[arg-type]


def test_testapp_rejects_missing_folder() -> None:
    with pytest.raises(TargetError, match="no such folder"):
        TestApp("tests/fixtures/no-such-app")


def test_testapp_after_close_refuses_new_clients() -> None:
    app = TestApp(sample_apps.app)
    app.close()
    app.close()  # idempotent
    assert app.closed
    with pytest.raises(HarnessError, match="is closed"):
        app.ws("/ws")
    assert "closed" in repr(app)


def test_testapp_factory_error_is_start_error_with_cause(data_root: Path) -> None:
    with pytest.raises(StartError, match="factory refused") as info:
        TestApp(sample_apps.failing_factory, data_root=data_root)
    assert isinstance(info.value.cause, ValueError)
    assert list(data_root.iterdir()) == []
