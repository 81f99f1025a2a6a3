"""Jinja2 templates of an app: autoescaped HTML, loaded from ``templates/``, checked at compile time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["Templates", "check_template"]


class Templates:
    """The app's template environment: autoescape on, and an undefined name is an error
    (``StrictUndefined``), which answers the HTML 500 page with the traceback in the log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "templates"
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.folder),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
            undefined=jinja2.StrictUndefined,
        )

    def exists(self, name: str) -> bool:
        """Whether ``templates/<name>`` is there."""
        return (self.folder / name).is_file()

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Render ``name`` with ``request`` and ``context``."""
        html = self.env.get_template(name).render(request=request, status=status, **context)
        return HTMLResponse(html, status)


def check_template(folder: Path, name: str) -> str | None:
    """Compile ``templates/<name>`` and every template it names by ``extends``, ``include`` or
    ``import`` (the names written out, not computed); the first problem, or ``None``.

    A problem reads ``line N: message`` for its own syntax, or names the template at fault.
    """
    env = Templates(folder).env
    seen: set[str] = set()
    waiting = [name]
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source = env.loader.get_source(env, current)[0]  # type: ignore[union-attr]
            tree = env.parse(source, current)
        except jinja2.TemplateSyntaxError as exc:
            where = "" if current == name else f"{current}: "
            return f"{where}line {exc.lineno}: {exc.message}"
        except jinja2.TemplateNotFound:
            return f"refers to a template that does not exist: {current}"
        waiting.extend(found for found in meta.find_referenced_templates(tree) if found is not None)
    return None
