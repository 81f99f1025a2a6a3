"""The parts of uvicorn the harness drives by hand (harness/server.py), checked by name.

The harness runs uvicorn's protocol classes and lifespan from its own loop instead of
``uvicorn.Server``, so it depends on internals that uvicorn may change in any release. The
version range is pinned in pyproject.toml; when it is raised, this file says what moved before
any test fails in a confusing way.
"""

from __future__ import annotations

import inspect

import pytest
import uvicorn
from uvicorn.server import ServerState


@pytest.fixture(scope="module")
def config() -> uvicorn.Config:
    async def app(scope: object, receive: object, send: object) -> None: ...

    made = uvicorn.Config(app, lifespan="auto", log_config=None, access_log=False, ws="websockets-sansio")
    made.load()
    return made


def test_config_exposes_what_the_server_thread_uses(config: uvicorn.Config) -> None:
    for name in ("loaded_app", "lifespan_class", "http_protocol_class", "backlog", "encoded_headers"):
        assert hasattr(config, name), f"uvicorn.Config has no {name!r} any more: see harness/server.py"


def test_server_state_has_connections_tasks_and_default_headers() -> None:
    state = ServerState()
    for name in ("connections", "tasks", "default_headers"):
        assert hasattr(state, name), f"uvicorn's ServerState has no {name!r} any more"


def test_http_protocol_takes_the_keywords_the_harness_passes(config: uvicorn.Config) -> None:
    parameters = inspect.signature(config.http_protocol_class).parameters
    assert {"config", "server_state", "app_state", "_loop"} <= set(parameters)
    assert callable(getattr(config.http_protocol_class, "shutdown", None))


def test_lifespan_has_startup_shutdown_state_and_should_exit(config: uvicorn.Config) -> None:
    lifespan_class = config.lifespan_class
    assert inspect.iscoroutinefunction(lifespan_class.startup)
    assert inspect.iscoroutinefunction(lifespan_class.shutdown)
    lifespan = lifespan_class(config)
    assert lifespan.should_exit is False
    assert lifespan.state == {}


def test_uvicorn_version_is_inside_the_pinned_range() -> None:
    major, minor = (int(part) for part in uvicorn.__version__.split(".")[:2])
    assert (major, minor) == (0, 54), (
        f"uvicorn {uvicorn.__version__}: re-check harness/server.py, then the pin"
    )
