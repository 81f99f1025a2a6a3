"""Jinja2 templates of an app: autoescaped HTML, loaded from ``templates/``, checked at compile time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["Templates", "check_template"]


class Templates:
    """The app's template environment: autoescape on, undefined variables render empty."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "templates"
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.folder),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
        )

    def exists(self, name: str) -> bool:
        """Whether ``templates/<name>`` is there."""
        return (self.folder / name).is_file()

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Render ``name`` with ``request`` and ``context``."""
        html = self.env.get_template(name).render(request=request, status=status, **context)
        return HTMLResponse(html, status)


def check_template(folder: Path, name: str) -> str | None:
    """Compile ``templates/<name>``; the error as ``line N: message``, or ``None`` if it compiles."""
    try:
        Templates(folder).env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    except jinja2.TemplateNotFound as exc:
        return f"includes a template that does not exist: {exc.name}"
    return None
