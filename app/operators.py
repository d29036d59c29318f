"""``python -m app.operators``: operators and integration clients from the command line (BO §2),
such as the first administrator, before anyone can log in to the back-office.

    python -m app.operators create --email E --role admin|seller --first-name F --last-name L
                                   [--permissions P,…] [--pos-id ID] [--stores S,…]
    python -m app.operators set-password --email E
    python -m app.operators reset-mfa --email E
    python -m app.operators create-client --name N --permissions P,… [--stores S,…]

A password is read from stdin's first line, or on a terminal prompted twice without echo; never an
argument. Exit 0 with the id (and a client's secret, on the next line) on stdout; 1 with a message
on stderr (a taken e-mail, the password policy, a bad setting); 2 for bad usage. The audit trail
names the actor ``cli``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from app.emails import InvalidEmail, normalise_email
from app.models import AuditActor
from app.services import Services, build_services
from app.services.operators import ADMIN_PERMISSIONS, ROLES, Writer
from app.settings import Settings, SettingsError
from errors import ApiError

__all__ = ["main", "build_parser", "CLI_ACTOR_ID"]

CLI_ACTOR_ID = "cli"
FAILED = 1


class CommandFailed(Exception):
    """A message for stderr, exit 1."""


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.operators", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    create = commands.add_parser("create", help="create an operator (the password from stdin or a prompt)")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--first-name", required=True)
    create.add_argument("--last-name", required=True)
    create.add_argument("--permissions", type=_codes, help="admins: a comma-separated subset (default: all)")
    create.add_argument("--pos-id", help="sellers: their point of sale")
    create.add_argument("--stores", type=_codes, help="comma-separated store codes (default: all)")
    set_password = commands.add_parser("set-password", help="set an operator's password; ends its sessions")
    set_password.add_argument("--email", required=True)
    reset_mfa = commands.add_parser("reset-mfa", help="drop an operator's MFA enrolment; ends its sessions")
    reset_mfa.add_argument("--email", required=True)
    client = commands.add_parser("create-client", help="create an integration client; prints id and secret")
    client.add_argument("--name", required=True)
    client.add_argument("--permissions", type=_codes, required=True)
    client.add_argument("--stores", type=_codes)
    return parser


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise CommandFailed("The passwords do not match.")
        return first
    line = stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise CommandFailed("No password on stdin's first line.")
    return password


def _email(text: str) -> str:
    try:
        return normalise_email(text)
    except InvalidEmail:
        raise CommandFailed(f"{text!r} is not a valid e-mail address.") from None


def _name(text: str, option: str) -> str:
    if not text.strip() or len(text) > 100:
        raise CommandFailed(f"{option} must have 1 to 100 characters.")
    return text


def _actor(command: str) -> AuditActor:
    return AuditActor(CLI_ACTOR_ID, "admin", f"CLI {command}")


async def _run(services: Services, arguments: argparse.Namespace, stdin: TextIO) -> list[str]:
    writer = Writer(actor=_actor(arguments.command), operator_id=None, stores=None)
    if arguments.command == "create":
        values: dict[str, Any] = {
            "email": _email(arguments.email),
            "role": arguments.role,
            "first_name": _name(arguments.first_name, "--first-name"),
            "last_name": _name(arguments.last_name, "--last-name"),
            "stores": arguments.stores,
        }
        if arguments.role == "admin":
            values["permissions"] = arguments.permissions or list(ADMIN_PERMISSIONS)
        elif arguments.pos_id:
            values["pos_id"] = arguments.pos_id
        password = _read_password(stdin)
        values.update(password=password, confirm_password=password)
        operator = await services.operators.create(values, writer)
        return [operator.id]
    if arguments.command == "set-password":
        email = _email(arguments.email)
        operator = await services.operators.set_password(email, _read_password(stdin), writer.actor)
        return [operator.id]
    if arguments.command == "reset-mfa":
        operator = await services.operators.get_by_email(_email(arguments.email))
        await services.operator_mfa.reset(operator, None, writer.actor)
        return [operator.id]
    client, secret = await services.integration_clients.create(
        {
            "name": _name(arguments.name, "--name"),
            "permissions": arguments.permissions,
            "stores": arguments.stores,
        },
        writer,
    )
    return [client.id, secret]


def _message(error: ApiError) -> str:
    return "\n".join(problem.detail for problem in error.problems)


async def _main(settings: Settings, arguments: argparse.Namespace, stdin: TextIO) -> list[str]:
    services = build_services(settings)
    await services.db.connect()
    try:
        return await _run(services, arguments, stdin)
    finally:
        await services.db.disconnect()
        services.hasher.close()


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    arguments = build_parser().parse_args(argv)  # bad usage: exit 2 with the usage
    try:
        settings = Settings.from_environment()
        output = asyncio.run(_main(settings, arguments, stdin or sys.stdin))
    except (CommandFailed, SettingsError) as error:
        print(error, file=sys.stderr)
        return FAILED
    except ApiError as error:
        print(_message(error), file=sys.stderr)
        return FAILED
    for line in output:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
