"""The `bizreg` command (`registration.cli:main`): a composition root beside `registration.app`.

__init__.py  the group, which imports a command's module only when that command runs
archive.py   bizreg archive renew|status: archive renewal (B-LTA) of stored documents
service.py   bizreg serve | worker | pki | db | user | client
clients.py   bizreg client …    the client registry
terminal.py  bizreg terminal …  the reference terminal (signed requests, attestations)
verify.py    bizreg verify …    licence verification, online or offline
trust.py     bizreg trust export: the root for independent validators
log.py       bizreg audit verify, bizreg log checkpoint|monitor: the transparency log
feed.py      bizreg feed        the change feed's reference consumer
stats.py     bizreg stats       the service statistics against the targets
sandbox.py   bizreg sandbox serve|report|verify-report: a bank's client graded
webhook_keys.py  bizreg webhook-key list|rotate|retire: the webhook key, rotated with overlap
devsetup.py  development accounts for `bizreg serve` (with devkeys.py: development keys)

Start-up is the point of this module: `bizreg --help` or `bizreg verify` must not pay for the
database layer, the models, pyHanko or FastAPI (over a second) that other commands need. So it
imports click only, and each command's module is imported when that command is looked up; the
listing of `--help` uses the summaries below, which tests/test_cli.py keeps equal to each
command's own.
"""

from __future__ import annotations

import importlib

import click

# name → (module, attribute, summary: the command's first sentence, shortened to fit as click
# shortens it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "archive": (
        "archive",
        "archive",
        "Archive renewal (PAdES B-LTA) of the stored licences and notices.",
    ),
    "audit": ("log", "audit", "Check the database against its transparency log."),
    "client": (
        "service",
        "client",
        "API clients: bank terminals, the Hong Kong app gateway, partner branches.",
    ),
    "db": ("service", "db", "Database schema."),
    "feed": (
        "feed",
        "feed",
        "Follow the public change feed: every public licence event, once, in order.",
    ),
    "log": ("log", "log", "The transparency log."),
    "pki": (
        "pki",
        "pki",
        "The authority's signing PKI (development hierarchy in the data directory).",
    ),
    "sandbox": (
        "sandbox",
        "sandbox",
        "A sandbox of the API with known keys that grades a bank's client (docs/sandbox.md).",
    ),
    "serve": (
        "service",
        "serve",
        "Migrate the database and serve the API, with `BIZREG_ISSUANCE_PROCESSES` issuance "
        "processes beside it (development accounts are created on first run).",
    ),
    "stats": (
        "stats",
        "stats",
        "Shares decided instantly / with no return / without a visit against the targets, "
        "times from submission to licence, returns by reason, queues per category.",
    ),
    "terminal": (
        "terminal",
        "terminal",
        "The reference terminal (bank_adapter.BizregClient): keys, submit, attest, status, PDF.",
    ),
    "trust": ("trust", "trust", "The authority's root certificate for independent validators."),
    "user": ("service", "user", "Officer accounts."),
    "webhook-key": (
        "webhook_keys",
        "webhook_key",
        "The authority's webhook signing key (published at /api/v1/webhooks/keys).",
    ),
    "verify": (
        "verify",
        "verify",
        "Verify licence PDFs: genuine, unaltered, issued by the authority, in force?",
    ),
    "worker": (
        "service",
        "worker",
        "Issue licences for approved applications; run as many as you like beside the API.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"registration.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        # click's own arithmetic (Group.format_commands), without loading the commands.
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
def main() -> None:
    """bizreg: company registration and signed electronic business licences."""
