"""The `bizreg` command against a real database file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import Session

from registration.cli import main
from registration.domain.workflow import Role
from registration.errors import InvalidToken
from registration.services import accounts


@pytest.fixture
def env(engine: Engine, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"BIZREG_DATABASE_URL": database_url, "BIZREG_DATA_DIR": str(tmp_path / "var")}


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "latest revision" in result.output


def test_user_add_then_login(env: dict[str, str], engine: Engine) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "user",
            "add",
            "li",
            "--role",
            "back_office",
            "--category",
            "food_safety",
            "--password-stdin",
            "--by",
            "admin",
        ],
        input="correct horse battery staple\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        token = accounts.login_officer(
            session, "li", "correct horse battery staple", timedelta(hours=1)
        )
        principal = accounts.authenticate(session, token)
    assert principal.role == "back_office"
    assert principal.categories == {"food_safety"}

    again = runner.invoke(
        main,
        ["user", "add", "li", "--role", "auditor", "--password-stdin", "--by", "admin"],
        input="x" * 20,
        env=env,
    )
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_weak_password_is_refused(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main,
        ["user", "add", "zhao", "--role", "auditor", "--password-stdin", "--by", "admin"],
        input="short\n",
        env=env,
    )
    assert result.exit_code != 0
    assert "at least 12" in result.output


def test_client_add_prints_a_working_token(env: dict[str, str], engine: Engine) -> None:
    result = CliRunner().invoke(
        main,
        [
            *("client", "add", "boc-t01", "--channel", "yinzhengtong"),
            *("--org", "Bank of China", "--by", "registrar"),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    with Session(engine) as session:
        principal = accounts.authenticate(session, token)
    assert (principal.subject, principal.channel, principal.role) == (
        "boc-t01",
        "yinzhengtong",
        "terminal",
    )


def test_user_list_deactivate_and_reset_password(env: dict[str, str], engine: Engine) -> None:
    runner = CliRunner()
    with Session(engine) as session:
        accounts.add_officer(session, "wang", Role.FRONT_DESK, "first-password-123", by="test")
        old_token = accounts.login_officer(
            session, "wang", "first-password-123", timedelta(hours=1)
        )
    listed = runner.invoke(main, ["user", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "wang" in listed.output
    assert "front_desk" in listed.output

    reset = runner.invoke(main, ["user", "reset-password", "wang", "--by", "admin"], env=env)
    assert reset.exit_code == 0, reset.output
    one_time = reset.output.split("one-time password for wang: ")[1].split()[0]
    with Session(engine) as session:
        with pytest.raises(InvalidToken):  # the old token ended with the old password
            accounts.authenticate(session, old_token)
        assert accounts.check_password(session, "wang", "first-password-123") is None
        assert accounts.check_password(session, "wang", one_time) is not None

    chosen = runner.invoke(
        main,
        ["user", "reset-password", "wang", "--password-stdin", "--by", "admin"],
        input="chosen-password-456\n",
        env=env,
    )
    assert chosen.exit_code == 0, chosen.output
    assert one_time not in chosen.output

    off = runner.invoke(main, ["user", "deactivate", "wang", "--by", "admin"], env=env)
    assert off.exit_code == 0, off.output
    with Session(engine) as session:
        assert accounts.check_password(session, "wang", "chosen-password-456") is None
    assert "DEACTIVATED" in runner.invoke(main, ["user", "list"], env=env).output
    unknown = runner.invoke(main, ["user", "deactivate", "nobody", "--by", "admin"], env=env)
    assert unknown.exit_code != 0
    assert "no officer 'nobody'" in unknown.output


def test_help_lists_every_command_with_its_own_short_help_without_importing_it() -> None:
    import subprocess
    import sys

    import click

    from registration.cli import COMMANDS

    context = click.Context(main)
    for name, (_, _, listed) in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None
        assert command.get_short_help_str(limit=1000) == listed, name
    # In a fresh interpreter: `bizreg --help` loads none of the commands' heavy dependencies.
    probe = (
        "import sys\n"
        "from registration.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'pyhanko', 'fastapi', 'registration.db') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "serve" in output
    assert "HEAVY []" in output
