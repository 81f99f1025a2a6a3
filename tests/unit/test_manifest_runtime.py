"""``[[cron]]``, ``[mail]`` and ``[wasm]`` are validated when the manifest is compiled: each
problem is named with where it is, and a good table reads as its model."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.manifest import load_manifest
from kiln.manifest.model import CronJob, MailConfig

APP = "[app]\nname = 'x'\n"
HANDLERS = """\
def digest(ctx):
    pass


def two(a, b):
    pass


def on_mail(message, ctx):
    pass
"""
EXAMPLE = 'such as "0 3 * * *" (minute hour day-of-month month day-of-week)'
JOB = "[[cron]]\nname = 'digest'\nschedule = '0 3 * * *'\nhandler = 'handlers:digest'\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "wasm").mkdir()
    (tmp_path / "wasm" / "one.wat").write_text('(module (func (export "one") (result i32) i32.const 1))')
    (tmp_path / "wasm" / "imports.wat").write_text('(module (import "env" "log" (func)))')
    (tmp_path / "wasm" / "text.wasm").write_text("not a module")
    (tmp_path / "wasm" / "short.wasm").write_bytes(b"\0asm\x01\0\0\0\x05")
    (tmp_path / "wasm" / "broken.wat").write_text('(module (func (export "f") i32.add))')
    return tmp_path


def _problems(folder: Path, body: str, *, before: str = "") -> list[str]:
    (folder / "app.toml").write_text(before + APP + body)
    with pytest.raises(ManifestError) as info:
        load_manifest(folder)
    return str(info.value).splitlines()


def test_cron_jobs_read_in_declaration_order(folder: Path) -> None:
    (folder / "app.toml").write_text(
        APP + JOB + "[[cron]]\nname = 'hourly'\nschedule = '0 * * * *'\nhandler = 'handlers:digest'\n"
    )
    assert load_manifest(folder).cron == (
        CronJob(name="digest", schedule="0 3 * * *", handler="handlers:digest"),
        CronJob(name="hourly", schedule="0 * * * *", handler="handlers:digest"),
    )


def test_mail_reads_inbound_and_outbound(folder: Path) -> None:
    (folder / "app.toml").write_text(
        APP + "[mail]\ninbound = 'handlers:on_mail'\noutbound = 'smtp://mx:1025'\n"
    )
    assert load_manifest(folder).mail == MailConfig(inbound="handlers:on_mail", outbound="smtp://mx:1025")


def test_without_runtime_tables_there_are_no_jobs_mail_or_modules(folder: Path) -> None:
    (folder / "app.toml").write_text(APP)
    manifest = load_manifest(folder)
    assert (manifest.cron, manifest.mail, manifest.wasm) == ((), None, {})


def test_a_wat_module_is_compiled_with_its_exports(folder: Path) -> None:
    (folder / "app.toml").write_text(APP + "[wasm]\none = 'wasm/one.wat'\n")
    assert load_manifest(folder).wasm["one"].call("one") == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "[[cron]]\nname = 'digest'\nschedule = '0 3 * *'\nhandler = 'handlers:digest'\n",
            f'cron[0].schedule: "0 3 * *" has 4 fields; a schedule has five, {EXAMPLE}',
        ),
        (
            "[[cron]]\nname = 'digest'\nschedule = '0 25 * * *'\nhandler = 'handlers:digest'\n",
            f'cron[0].schedule: "0 25 * * *" is not a valid cron expression, {EXAMPLE}',
        ),
        (
            "[[cron]]\nname = 'digest'\nhandler = 'handlers:digest'\n",
            f"cron[0].schedule: is required: a five-field cron expression, {EXAMPLE}",
        ),
        (
            "[[cron]]\nname = 'digest'\nschedule = '0 3 * * *'\n",
            'cron[0].handler: is required: the function to run, such as "handlers:digest"',
        ),
        (
            "[[cron]]\nname = 'digest'\nschedule = '0 3 * * *'\nhandler = 'handlers:missing'\n",
            'cron[0].handler: handlers.py has no function "missing"',
        ),
        (
            "[[cron]]\nname = 'digest'\nschedule = '0 3 * * *'\nhandler = 'handlers:two'\n",
            "cron[0].handler: handlers.two must take one argument: (ctx)",
        ),
        (JOB + JOB.replace("0 3", "0 4"), 'cron[1].name: "digest" names another job already'),
        (
            JOB.replace("'digest'", "'9lives'"),
            "cron[0].name: is required: a name of letters, digits, '-' and '_' starting with a letter",
        ),
        (JOB + "every = 'day'\n", 'cron[0].every: unknown key "every"'),
        (
            "[mail]\ninbound = 'handlers:digest'\n",
            "mail.inbound: handlers.digest must take two arguments: (message, ctx)",
        ),
        (
            "[mail]\noutbound = 'http://example.com'\n",
            'mail.outbound: "http://example.com" is not an SMTP URL with a host and a port, '
            'such as "smtp://127.0.0.1:1025"',
        ),
        (
            "[mail]\noutbound = 'smtp://localhost'\n",
            'mail.outbound: "smtp://localhost" is not an SMTP URL with a host and a port, '
            'such as "smtp://127.0.0.1:1025"',
        ),
        ("[mail]\nsender = 'a@example.com'\n", 'mail.sender: unknown key "sender"'),
        ("[wasm]\nadd = 'wasm/missing.wasm'\n", "wasm.add: wasm/missing.wasm does not exist"),
        (
            "[wasm]\nadd = '../add.wasm'\n",
            'wasm.add: must be a path inside the app folder, such as "wasm/add.wasm"',
        ),
        (
            "[wasm]\nadd = 'wasm/text.wasm'\n",
            "wasm.add: wasm/text.wasm is not a WebAssembly binary: it does not start with \\0asm "
            "(a text module ends in .wat)",
        ),
        (
            "[wasm]\nadd = 'wasm/short.wasm'\n",
            "wasm.add: wasm/short.wasm is not a valid WebAssembly module: unexpected end-of-file (at offset 0x9)",
        ),
        (
            "[wasm]\nadd = 'wasm/imports.wat'\n",
            "wasm.add: wasm/imports.wat imports env.log: a kiln module gets no host functions and no WASI",
        ),
        (
            "[wasm]\n'a.b' = 'wasm/one.wat'\n",
            "wasm.a.b: a module's name is letters, digits, '-' and '_', starting with a letter",
        ),
    ],
    ids=[
        "four-fields",
        "hour-25",
        "no-schedule",
        "no-handler",
        "missing-function",
        "two-arguments",
        "duplicate-name",
        "name-with-digit-first",
        "unknown-cron-key",
        "inbound-one-argument",
        "http-outbound",
        "outbound-without-port",
        "unknown-mail-key",
        "missing-module",
        "module-outside-folder",
        "text-in-a-wasm-file",
        "truncated-binary",
        "module-with-imports",
        "bad-module-name",
    ],
)
def test_each_runtime_problem_is_named(folder: Path, body: str, problem: str) -> None:
    assert _problems(folder, body) == [f"app.toml: {problem}"]


def test_a_wat_text_that_does_not_compile_says_why(folder: Path) -> None:
    [problem] = _problems(folder, "[wasm]\nf = 'wasm/broken.wat'\n")
    assert problem.startswith("app.toml: wasm.f: wasm/broken.wat is not a valid WebAssembly module: ")
    assert "|" not in problem  # wasmtime's source excerpt is left out


def test_cron_that_is_not_an_array_of_tables(folder: Path) -> None:
    assert _problems(folder, "", before="cron = 'daily'\n") == [
        'app.toml: cron: must be an array of tables: [[cron]] name = "digest" ...'
    ]


def test_every_problem_of_a_job_is_named_at_once(folder: Path) -> None:
    assert _problems(folder, "[[cron]]\nname = 'digest'\nschedule = 'daily'\n") == [
        f'app.toml: cron[0].schedule: "daily" has 1 field; a schedule has five, {EXAMPLE}',
        'app.toml: cron[0].handler: is required: the function to run, such as "handlers:digest"',
    ]
