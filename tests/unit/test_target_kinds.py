"""What TestApp accepts as a target: ASGI callables of every shape, and both kinds of factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sample_apps
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from harness import TargetError, TestApp


async def _plain(send: Any, text: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text})


async def star_args_app(*args: Any) -> None:
    """An ASGI app written with ``*args``, as some middleware factories produce."""
    scope, _receive, send = args
    if scope["type"] == "http":
        await _plain(send, b"star-args")


class CallableApp:
    """An ASGI app that is an instance with ``__call__``."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await _plain(send, self.text)


def zero_argument_factory() -> Starlette:
    """uvicorn's ``--factory`` convention: no argument at all."""

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("made without arguments")

    return Starlette(routes=[Route("/", hello)])


def zero_argument_factory_with_settings(*, settings: dict[str, str] | None = None) -> Starlette:
    async def show(request: Request) -> JSONResponse:
        return JSONResponse(settings)

    return Starlette(routes=[Route("/", show)])


def optional_data_dir_factory(data_dir: Path | None = None) -> Starlette:
    async def where(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(data_dir))

    return Starlette(routes=[Route("/", where)])


def test_target_written_with_star_args_is_served_as_asgi_app(data_root: Path) -> None:
    with TestApp(star_args_app, data_root=data_root) as app:
        assert app.get("/").text == "star-args"


def test_target_instance_with_call_is_served_as_asgi_app(data_root: Path) -> None:
    with TestApp(CallableApp(b"from an instance"), data_root=data_root) as app:
        assert app.get("/anything").text == "from an instance"
        assert app.name == "CallableApp"


def test_target_zero_argument_factory_is_called_without_arguments(data_root: Path) -> None:
    with TestApp(zero_argument_factory, data_root=data_root) as app:
        assert app.get("/").text == "made without arguments"
        assert app.name == "zero_argument_factory"


def test_target_zero_argument_factory_by_module_attr_string(data_root: Path) -> None:
    with TestApp("test_target_kinds:zero_argument_factory", data_root=data_root) as app:
        assert app.get("/").text == "made without arguments"


def test_target_zero_argument_factory_gets_settings_keyword(data_root: Path) -> None:
    with TestApp(zero_argument_factory_with_settings, settings={"tone": "dry"}, data_root=data_root) as app:
        assert app.get("/").json() == {"tone": "dry"}


def test_target_one_argument_factory_gets_the_data_directory(data_root: Path) -> None:
    with TestApp(optional_data_dir_factory, data_root=data_root) as app:
        assert app.get("/").text == str(app.data_dir)
        assert app.data_dir.parent == data_root


def test_target_factory_returning_instance_app(data_root: Path) -> None:
    with TestApp(lambda: CallableApp(b"lambda factory"), data_root=data_root) as app:
        assert app.get("/").text == "lambda factory"


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        pytest.param(lambda a, b: None, "(a, b)", id="two-arguments"),
        pytest.param(lambda a, b, c, d: None, "(a, b, c, d)", id="four-arguments"),
        pytest.param(lambda a, b, *, c: None, "(a, b, *, c)", id="two-and-keyword"),
        pytest.param(lambda a, b, c, d, *rest: None, "(a, b, c, d, *rest)", id="four-and-star-args"),
    ],
)
def test_target_with_other_signature_is_refused_showing_it(target: Any, shown: str, data_root: Path) -> None:
    with pytest.raises(TargetError) as info:
        TestApp(target, data_root=data_root)
    message = str(info.value)
    assert f"<lambda>{shown}" in message
    assert "an ASGI app takes (scope, receive, send)" in message
    assert "a factory takes no argument or (data_dir)" in message
    assert list(data_root.iterdir()) == []  # the refused target leaves no data directory


def test_target_path_of_app_toml_serves_its_folder(data_root: Path) -> None:
    manifest = Path(__file__).parents[1] / "fixtures" / "todo-app" / "app.toml"
    with TestApp(manifest, data_root=data_root) as app:
        assert app.get("/health").json()["app"] == "todo"
    with TestApp(str(manifest), data_root=data_root) as app:
        assert app.name == "todo"


class TwoArgumentCall:
    def __call__(self, scope: Any, receive: Any) -> None: ...

    def __repr__(self) -> str:
        return "<TwoArgumentCall>"


def test_target_instance_with_wrong_call_is_refused_showing_its_repr(data_root: Path) -> None:
    with pytest.raises(
        TargetError, match=r"cannot serve <TwoArgumentCall>\(scope: 'Any', receive: 'Any'\) -> 'None'"
    ):
        TestApp(TwoArgumentCall(), data_root=data_root)


def test_target_plain_asgi_function_still_served(data_root: Path) -> None:
    with TestApp(sample_apps.bare_asgi, data_root=data_root) as app:
        assert app.get("/").text == "bare"


@pytest.mark.regression
def test_server_thread_never_takes_a_star_args_app_for_a_factory() -> None:
    """uvicorn calls its app once with no arguments to spot factories: ``*args`` accepted that call,
    so the app was replaced by the coroutine it returned (found running mutmut's trampolines)."""
    import httpx

    from harness.server import ServerThread

    server = ServerThread(star_args_app)
    server.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/", trust_env=False).text == "star-args"
    finally:
        server.stop()
