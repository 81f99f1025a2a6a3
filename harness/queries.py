"""``TestApp.queries()``: the SQL statements a kiln app ran inside a block."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

__all__ = ["Queries"]


class Queries(Sequence[str]):
    """The statements a kiln app ran while the block was open, in order.

    ``len(q)`` counts them and ``q.statements`` lists them, as pytest-django's
    ``django_assert_num_queries`` does; ``q.selects`` keeps only the ``SELECT`` statements, the
    ones eager loading is about (in any case). Transaction control (``BEGIN``, ``COMMIT``) and
    what sqlite-utils runs for a handler's ``ctx.db`` (a ``PRAGMA``, view lookups) are counted
    too: they are statements the app ran.
    """

    def __init__(self, statements: list[str]) -> None:
        self._statements = statements

    @property
    def statements(self) -> list[str]:
        """Every statement, as SQLite ran it."""
        return list(self._statements)

    @property
    def selects(self) -> list[str]:
        """The statements that read with ``SELECT`` (``WITH`` queries included)."""
        return [s for s in self._statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._statements[index]

    def __len__(self) -> int:
        return len(self._statements)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._statements))

    def __repr__(self) -> str:
        return f"<Queries {len(self)}: {self._statements!r}>"
