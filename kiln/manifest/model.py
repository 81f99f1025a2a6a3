"""The typed model of a validated ``app.toml``: what the rest of kiln compiles from."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from kiln.errors import Problem
from kiln.fieldtypes import TYPES, FieldType

__all__ = [
    "SYSTEM_FIELDS",
    "AuthConfig",
    "Binding",
    "CronJob",
    "Entity",
    "Field",
    "FilesConfig",
    "MailConfig",
    "Manifest",
    "RealtimeConfig",
    "Relation",
    "Route",
    "RouteParam",
    "WorkflowDecl",
]

#: Fields every record has; an app cannot declare them.
SYSTEM_FIELDS = ("id", "created_at", "updated_at")

MISSING: Any = object()


@dataclass(frozen=True)
class Field:
    """One declared field of an entity."""

    name: str
    type: str
    required: bool = False
    unique: bool = False
    default: Any = MISSING  # already coerced to its stored form
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    search: float | None = None
    to: str | None = None  # ref: the entity referred to
    on_delete: str = "restrict"  # ref: cascade | restrict | set_null
    related_name: str | None = None  # ref: the reverse relation's name on `to`
    max_size: int | None = None  # file: the largest upload, in bytes
    accept: tuple[str, ...] = ()  # file: the content types it takes ("image/png", "image/*"); () = any
    thumbs: tuple[tuple[int, int], ...] = ()  # file: the thumbnail sizes, (width, height)

    @property
    def kind(self) -> FieldType:
        """The field's type: validation, column type and JSON form."""
        return TYPES[self.type]

    @property
    def has_default(self) -> bool:
        """Whether the manifest gives a default."""
        return self.default is not MISSING


@dataclass(frozen=True)
class Relation:
    """A named way from one entity's records to another's.

    ``one``: ``Post.author`` follows ``Post.author_id`` to an Author. ``many``: ``Author.posts``
    collects the Posts whose ``author_id`` is the Author's id. ``field`` is the ref field, which
    lives on ``entity`` for ``one`` and on ``target`` for ``many``.
    """

    name: str
    kind: str  # "one" | "many"
    entity: str
    target: str
    field: str
    on_delete: str = "restrict"


@dataclass(frozen=True)
class Entity:
    """A declared entity: its fields in declaration order, its relations and its REST collection."""

    name: str
    plural: str
    fields: dict[str, Field]
    relations: dict[str, Relation] = field(default_factory=dict)
    hidden_columns: tuple[tuple[str, str], ...] = ()  # stored, never returned (User's password hash)
    owner: str | None = None  # a ref field to User, set from the token on create
    access: dict[str, tuple[str, ...]] = field(default_factory=dict)  # operation -> guards; default public

    def guards(self, operation: str) -> tuple[str, ...]:
        """The guards of ``list``, ``read``, ``create``, ``update`` or ``delete``."""
        return self.access.get(operation, ("public",))

    @property
    def table(self) -> str:
        """The SQLite table holding its records: the plural."""
        return self.plural

    @property
    def search_fields(self) -> list[Field]:
        """The fields with a ``search`` weight, in declaration order (the search index's columns)."""
        return [field for field in self.fields.values() if field.search is not None]

    @property
    def path(self) -> str:
        """Its REST collection: ``/api/<plural>``."""
        return f"/api/{self.plural}"


@dataclass(frozen=True)
class RouteParam:
    """A typed path parameter, ``{id:int}``."""

    name: str
    convertor: str  # str | int | float | path | uuid


@dataclass(frozen=True)
class Binding:
    """One of a route's ``data`` bindings: the records of ``entity`` a template gets as ``name``."""

    name: str
    entity: str
    sort: str = ""  # as the list query's ?sort=
    limit: int = 20
    with_: tuple[str, ...] = ()  # relations to load, nested with dots
    where: tuple[tuple[str, str], ...] = ()  # the list query's filters, as query string items


@dataclass(frozen=True)
class Route:
    """A declared route. Exactly one of ``template``, ``handler`` and ``redirect`` is set."""

    index: int  # position in app.toml, for messages and tie-breaking
    path: str
    methods: tuple[str, ...]
    params: tuple[RouteParam, ...]
    template: str | None = None
    handler: str | None = None  # "handlers:function"
    redirect: str | None = None
    status: int = 308
    guards: tuple[str, ...] = ("public",)
    data: tuple[Binding, ...] = ()  # template routes: the records the template gets

    @property
    def key_path(self) -> str:
        """Where it is declared: ``routes[2]``."""
        return f"routes[{self.index}]"

    @property
    def target(self) -> str:
        """What it serves, for tables and messages."""
        if self.template is not None:
            return f"template {self.template}"
        if self.handler is not None:
            return f"handler {self.handler}"
        return f"redirect {self.status} {self.redirect}"


@dataclass(frozen=True)
class AuthConfig:
    """``[auth]``: authentication is on. ``token_ttl`` is how long a token lives, in seconds."""

    token_ttl: int = 86_400
    max_login_failures: int = 5  # per email and per client address ...
    login_window: int = 900  # ... within this many seconds; then 429 until the oldest failure expires
    verify_email: bool = False  # registering mails a link; logging in waits for it ...
    login_unverified: bool = False  # ... unless this: then only the `verified` guard waits


@dataclass(frozen=True)
class FilesConfig:
    """``[files]``: what ``POST /api/_files`` takes and the guards of the file endpoints."""

    max_size: int = 25_000_000  # bytes: "25MB"
    accept: tuple[str, ...] = ()  # content types, "image/*" for a family; () takes any
    upload: tuple[str, ...] = ("auth",)  # guards of POST /api/_files
    presign: tuple[str, ...] = ("role:admin",)  # guards of POST /api/_files/presign; () = no presigning
    orphan_ttl: int = 86_400  # seconds before an upload no record took is garbage


@dataclass(frozen=True)
class RealtimeConfig:
    """``[realtime]``: ``/ws`` is on. Rooms are ``(pattern, guards)``; a room no pattern matches is public."""

    connect: tuple[str, ...] = ("public",)
    max_queue: int = 1000  # messages one connection may have waiting before it is closed with 1008
    rooms: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class CronJob:
    """One ``[[cron]]`` job: ``handler`` runs when ``schedule`` (five fields, UTC) comes due."""

    name: str
    schedule: str
    handler: str  # "handlers:function", called as fn(ctx)


@dataclass(frozen=True)
class WorkflowDecl:
    """A workflow that ``handlers.py`` defines with ``@workflow(name)``: its name, the function's
    name in the module, and how often a step is tried."""

    name: str
    function: str
    max_attempts: int


@dataclass(frozen=True)
class MailConfig:
    """``[mail]``: the inbound handler, and the SMTP server outgoing mail is delivered to."""

    inbound: str | None = None  # "handlers:function", called as fn(message, ctx)
    outbound: str | None = None  # "smtp://host:port"; None keeps mail in the outbox only


@dataclass(frozen=True)
class Manifest:
    """A validated ``app.toml``."""

    name: str
    debug: bool = False
    entities: dict[str, Entity] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    auth: AuthConfig | None = None
    files: FilesConfig = field(default_factory=FilesConfig)
    realtime: RealtimeConfig | None = None
    cors_origins: tuple[str, ...] = ()  # [app] cors_origins: other origins browsers may call from
    spa: str | None = None  # [app] spa: the file under static/ that browser navigations fall back to
    max_body: int = 1_000_000  # [app] max_body: the largest JSON body, in bytes
    cron: tuple[CronJob, ...] = ()
    mail: MailConfig | None = None
    wasm: dict[str, Any] = field(default_factory=dict, compare=False)  # name -> kiln.wasm.WasmModule
    workflows: tuple[WorkflowDecl, ...] = ()
    heartbeat_timeout: int = 30  # [workflows] heartbeat_timeout, in seconds
    warnings: tuple[Problem, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    handlers: ModuleType | None = field(default=None, repr=False, compare=False)  # the app's handlers.py

    @property
    def file_fields(self) -> list[tuple[Entity, Field]]:
        """Every ``file`` field, with its entity, in declaration order."""
        return [
            (entity, field)
            for entity in self.entities.values()
            for field in entity.fields.values()
            if field.type == "file"
        ]

    @property
    def has_files(self) -> bool:
        """Whether the app serves files: it has a ``file`` field or a ``[files]`` table."""
        return bool(self.file_fields) or "files" in self.raw

    @property
    def has_outbox(self) -> bool:
        """Whether the app sends mail: it has ``[auth]`` (verification, resets) or ``[mail]``."""
        return self.auth is not None or self.mail is not None

    @property
    def searched(self) -> list[Entity]:
        """The entities with search fields, in declaration order."""
        return [entity for entity in self.entities.values() if entity.search_fields]
