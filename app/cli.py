"""The command line: ``glue-customers serve | migrate | mail-worker``; ``python -m app`` serves.

``--help`` prints help and does nothing else; a bad argument exits 2 with the usage; a bad setting
exits 1 with a message naming the variable, before anything starts. Heavy modules are imported
only by the command that needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.settings import Settings, SettingsError
from app.version import VERSION

__all__ = ["main", "run_command", "build_parser", "SETTINGS_ERROR_EXIT"]

SETTINGS_ERROR_EXIT = 1
_MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _host(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    parser.add_argument("--workers", type=_workers, default=1, help="worker processes sharing the port (1)")


def _add_migrate_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions (default: upgrade)")
    upgrade = actions.add_parser("upgrade", help="apply migrations up to REVISION (default: head)")
    upgrade.add_argument("revision", nargs="?", default="head", metavar="REVISION")
    downgrade = actions.add_parser("downgrade", help="revert migrations down to REVISION (base: all)")
    downgrade.add_argument("revision", metavar="REVISION")
    actions.add_parser("current", help="print the database's revision")
    actions.add_parser("history", help="list every migration, newest first")


def _add_mail_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drain", action="store_true", help="send what is due, then exit")


_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "serve": ("serve the API with uvicorn", _add_serve_arguments),
    "migrate": ("apply or revert the database migrations", _add_migrate_arguments),
    "mail-worker": (
        "deliver the mail outbox (apart from the service's own worker)",
        _add_mail_worker_arguments,
    ),
}
_EPILOG = "Settings are GLUE_* environment variables (see README.md); a bad one stops the command."


def build_parser(prog: str = "glue-customers") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="glue-customers: a JSON:API customer-account service.", epilog=_EPILOG
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (summary, add_arguments) in _COMMANDS.items():
        add_arguments(commands.add_parser(name, help=summary, description=summary, epilog=_EPILOG))
    return parser


def _command_parser(command: str, prog: str) -> argparse.ArgumentParser:
    summary, add_arguments = _COMMANDS[command]
    parser = argparse.ArgumentParser(prog=prog, description=summary, epilog=_EPILOG)
    add_arguments(parser)
    parser.set_defaults(command=command)
    return parser


@contextlib.contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """prometheus_client's multiprocess mode for several workers: a fresh directory for this run
    (the workers inherit the variable), or the configured one, emptied of a previous run's values."""
    configured = os.environ.get(_MULTIPROCESS_VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield
        return
    if workers == 1:  # the values live in the one process
        yield
        return
    created = tempfile.mkdtemp(prefix="glue-customers-metrics-")
    os.environ[_MULTIPROCESS_VARIABLE] = created
    try:
        yield
    finally:
        del os.environ[_MULTIPROCESS_VARIABLE]
        shutil.rmtree(created, ignore_errors=True)


def _serve(settings: Settings, arguments: argparse.Namespace) -> int:
    import uvicorn

    with _metrics_directory(arguments.workers):
        uvicorn.run(
            "app.main:app",
            factory=True,
            host=arguments.host,
            port=arguments.port,
            workers=arguments.workers,
            # The one place a forwarded client address is believed: from GLUE_TRUSTED_PROXIES only,
            # and with none listed not at all (uvicorn's own default would trust 127.0.0.1).
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies) or None,
            # Logging is configured by the service (app.logs), which writes its own access line.
            log_config=None,
            access_log=False,
        )
    return 0


def _migrate(settings: Settings, arguments: argparse.Namespace) -> int:
    from app import migrate

    action = arguments.action or "upgrade"
    if action == "upgrade":
        revision = getattr(arguments, "revision", "head")
        migrate.upgrade(settings, revision)
        if revision == "head":
            migrate.warn_about_unconfigured_stores(settings)
    elif action == "downgrade":
        migrate.downgrade(settings, arguments.revision)
    elif action == "current":
        migrate.current(settings)
    else:
        migrate.history(settings)
    return 0


def _mail_worker(settings: Settings, arguments: argparse.Namespace) -> int:
    import asyncio

    from app.mail.worker import run_worker

    asyncio.run(run_worker(settings, drain=arguments.drain))
    return 0


_HANDLERS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "serve": _serve,
    "migrate": _migrate,
    "mail-worker": _mail_worker,
}


def _run(arguments: argparse.Namespace, prog: str) -> int:
    from app import tracing
    from app.logs import configure_logging

    try:
        settings = Settings.from_environment()
        if arguments.command == "serve":
            tracing.check_available()
    except SettingsError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return SETTINGS_ERROR_EXIT
    configure_logging(settings)
    return _HANDLERS[arguments.command](settings, arguments)


def run_command(command: str, argv: Sequence[str] | None = None, *, prog: str) -> int:
    """One command as a program of its own (``python -m app`` is ``serve``)."""
    return _run(_command_parser(command, prog).parse_args(argv), prog)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``glue-customers`` console script."""
    return _run(build_parser().parse_args(argv), "glue-customers")
