"""The command-line tool: ``medledger COMMAND``.

Thin on purpose: each command parses its input, calls one service and prints the answer, so the
CLI, the API and the web UI cannot disagree about a rule. A user's mistake (an unknown patient, an
amount with three decimals, a write-off of paid PR) ends as one line on stderr, ``error: ...``,
with exit code 1 — never a traceback; a command line Typer cannot read (an unknown option, a
missing argument, a choice not offered) ends the same way with exit code 2 (``run``). Amounts
stay strings until a service converts them exactly.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.progress import DownloadColumn, MofNCompleteColumn, Progress
from rich.table import Table
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from typer._click.exceptions import NoArgsIsHelpError

from medledger import cli_credentials as credentials
from medledger.demo import DEMO_NAME, DEMO_PASSWORD, load_demo
from medledger.domain.balance import Balance, Entry
from medledger.domain.bounds import check_id, parse_day, parse_id
from medledger.domain.columns import Column, pr_category
from medledger.domain.errors import InvalidInput, LedgerError, NotFound
from medledger.domain.idempotency import client_key
from medledger.domain.money import format_cents
from medledger.domain.reasons import CancelReason, ReversalReason, WriteOffReason
from medledger.domain.registration import PatientDetails
from medledger.domain.statuses import ApprovalStatus, Role
from medledger.failures import log_failure
from medledger.services import (
    accounts,
    approval_requests,
    approvals,
    auth,
    history,
    ledger_requests,
    payments,
    registration,
    reports,
    settings,
    verification,
    write_offs,
)
from medledger.services.actor import Actor
from medledger.services.adjudication import post_estimate
from medledger.services.approval_queue import approval_queue
from medledger.services.cancellations import cancel_pr
from medledger.services.charge_voids import void_charge
from medledger.services.claim_import import ClaimFileRefused, ClaimImportSummary, import_claims
from medledger.services.csv_import import CsvRefused, import_csv
from medledger.services.era_import import EraRefused, ImportSummary, import_era
from medledger.services.file_input import Progress as ImportProgress
from medledger.services.payments import PaymentMethod, record_payment, refund_payment
from medledger.services.posting import dry_run as dry_run_of
from medledger.services.registration import add_user, create_organisation
from medledger.services.reversals import reverse_transaction
from medledger.services.review_queue import (
    dismiss_held_claim,
    held_claims,
    resolve_held_claim,
)
from medledger.storage.database import DEFAULT_URL, open_database, setup_roles
from medledger.storage.unit_of_work import Database

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals of a crash may hold patient data
    help="medledger: patient accounts for a medical practice — PR, write-offs, payments, refunds.",
)
user_app = typer.Typer(no_args_is_help=True, help="Manage the organisation's users.")
app.add_typer(user_app, name="user")
token_app = typer.Typer(no_args_is_help=True, help="API tokens that still work: list, revoke.")
app.add_typer(token_app, name="token")
review_app = typer.Typer(
    help="Imported claims held for review: list them (no command), resolve or dismiss one."
)
app.add_typer(review_app, name="review")
approvals_app = typer.Typer(
    help="Write-offs above a biller's limit: list them (no command), approve or reject one."
)
app.add_typer(approvals_app, name="approvals")
patient_app = typer.Typer(no_args_is_help=True, help="Register a patient, or change one.")
app.add_typer(patient_app, name="patient")
visit_app = typer.Typer(no_args_is_help=True, help="Add a visit with its charges.")
app.add_typer(visit_app, name="visit")
db_app = typer.Typer(no_args_is_help=True, help="The database's roles (PostgreSQL).")
app.add_typer(db_app, name="db")

F = TypeVar("F", bound=Callable[..., Any])


class NoOrganisation(LedgerError):
    code = "no-organisation"


class NotLoggedIn(LedgerError):
    code = "not-logged-in"
    status = 401


# -- the session: database, organisation and acting user ------------------------------------------
@dataclass
class Session:
    """What the app options chose; the database is opened (and migrated) on first use only, so
    ``--help`` and usage errors never touch it.

    The acting user is whoever proves it (``actor``): a token in MEDLEDGER_TOKEN, else the
    database's login stored by ``medledger login``, else the user's password typed at a
    prompt. ``--user`` only says whom to ask the password of, or checks that the token is
    theirs; it never lets anyone act as that user without a credential.
    """

    url: str
    username: str | None
    organisation_id: int | None
    migration_url: str | None = None
    token: str | None = None

    @cached_property
    def engine(self) -> Engine:
        return open_database(self.url, self.migration_url)

    @cached_property
    def database(self) -> Database:
        return Database(self.engine)

    @cached_property
    def actor(self) -> Actor:
        if self.token is not None:
            return self._actor_of_token(self.token, "MEDLEDGER_TOKEN")
        stored = credentials.stored_login(self.url)
        if stored is not None and self.username in (None, stored.username):
            return self._actor_of_token(stored.token, "the stored login")
        return self.log_in()

    def _actor_of_token(self, token: str, which: str) -> Actor:
        try:
            actor = auth.actor_from_token(self.database, token, "cli")
        except auth.Unauthenticated as error:
            raise NotLoggedIn(
                f"{which} no longer works (expired or revoked): run `medledger login`"
            ) from error
        if self.username is not None:
            named = registration.actor_for(
                self.database, actor.organisation_id, self.username, "cli"
            )
            if named.user_id != actor.user_id:
                raise NotLoggedIn(f"{which} is not {self.username}'s")
        if self.organisation_id not in (None, actor.organisation_id):
            raise NotLoggedIn(f"{which} is for organisation {actor.organisation_id}")
        return actor

    def log_in(self) -> Actor:
        """The user of ``--user`` (asked for when not given) and the password typed now."""
        organisation_id = self.organisation()
        try:
            self.username = self.username or typer.prompt("username", err=True)
            password = typer.prompt(f"password of {self.username}", hide_input=True, err=True)
        except typer.Abort as error:
            raise NotLoggedIn(
                "not logged in: run `medledger login`, or set MEDLEDGER_TOKEN"
            ) from error
        return auth.login(self.database, organisation_id, self.username, password, "cli")

    def organisation(self) -> int:
        """``--organisation``, else the first organisation."""
        known = registration.organisations(self.database)
        if not known:
            raise NoOrganisation(
                "no organisation yet: run `medledger demo` or `medledger init --organisation NAME`"
            )
        organisation_id = min(known) if self.organisation_id is None else self.organisation_id
        if organisation_id not in known:
            raise NotFound("organisation", organisation_id)
        return organisation_id

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def run() -> NoReturn:
    """The ``medledger`` console command: ``app`` with its usage errors as one ``error:`` line.

    Typer would draw a usage error (unknown option, missing argument, bad value) as a Rich box
    under the usage text; here it is one line on stderr with the error's exit code (2 for
    usage), like every other refusal. ``--help`` and a bare group print their help as before.
    """
    try:
        code = app(standalone_mode=False)  # None once a command returns, else its exit code
    except NoArgsIsHelpError as error:  # the help was printed when it was raised
        code = error.exit_code
    except typer.TyperException as error:  # the root of Typer's (click's) usage errors
        message = " ".join(error.format_message().split())
        typer.echo(f"error: {message}", err=True)
        code = error.exit_code
    except typer.Abort:  # end of input or a declined confirmation at a prompt
        typer.echo("error: aborted", err=True)
        code = 1
    sys.exit(code or 0)


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def command(name: str | None = None, group: typer.Typer = app) -> Callable[[F], F]:
    """Register a command whose user errors end as one ``error:`` line and exit code 1.

    Every command goes through here, so no command can leak a traceback for a rule the ledger
    refused, an input it could not read, or a database it could not open.
    """

    def register(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except LedgerError as error:
                fail(error.message)
            except IntegrityError:  # its message quotes the row's values: never repeated
                fail("the database refused the change: it breaks a rule of the schema")
            except (OperationalError, ArgumentError) as error:
                reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
                fail(f"cannot use the database: {reason}")
            except (typer.Exit, typer.Abort, typer.TyperException):
                raise  # the command's own ending, a declined prompt, a usage error: run() tells
            except Exception as error:  # logged by type and place, never by its message
                error_id = log_failure(error, f"medledger {name or function.__name__}")
                fail(
                    f"unexpected {type(error).__name__}; quote error id {error_id} when reporting it"
                )

        group.command(name)(guarded)
        return function

    return register


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str,
        typer.Option(envvar="MEDLEDGER_DATABASE_URL", help="SQLite file or PostgreSQL URL."),
    ] = DEFAULT_URL,
    migration_url: Annotated[
        str | None,
        typer.Option(
            envvar="MEDLEDGER_MIGRATION_URL",
            help="PostgreSQL URL of the tables' owner, who migrates (docs/security.md).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="Log in as this user (asks the password), or check the token is theirs."
        ),
    ] = None,
    organisation: Annotated[
        int | None, typer.Option("--organisation", help="Organisation id (default: the first).")
    ] = None,
) -> None:
    session = Session(
        database_url,
        user,
        organisation,
        migration_url=migration_url,
        token=os.environ.get("MEDLEDGER_TOKEN") or None,
    )
    ctx.obj = session
    ctx.call_on_close(session.close)


# -- shared options and parsing --------------------------------------------------------------------

AmountOption = Annotated[
    str | None, typer.Option("--amount", help="One amount such as 12.50, split copay first.")
]
CarcOption = Annotated[
    list[str] | None,
    typer.Option("--carc", metavar="CARC=AMOUNT", help="Amount for one PR CARC, e.g. 2=15.00."),
]
CustomOption = Annotated[
    str | None, typer.Option("--custom", help="The reason in your words, with --reason custom.")
]
NoteOption = Annotated[str | None, typer.Option("--note", help="Free text kept with the entry.")]
KeyOption = Annotated[
    str | None,
    typer.Option("--idempotency-key", help="Repeating a command with the same key posts once."),
]


def parse_carc_amounts(values: list[str] | None) -> dict[str, str] | None:
    """``--carc 2=15.00 --carc 3=5.00`` → ``{"2": "15.00", "3": "5.00"}``.

    The amounts stay strings: the service converts them to cents exactly (or refuses them).
    """
    if not values:
        return None
    amounts: dict[str, str] = {}
    for value in values:
        carc, separator, amount = (part.strip() for part in value.partition("="))
        if not separator or not carc or not amount:
            raise InvalidInput(f"--carc takes CARC=AMOUNT, like 2=15.00 (got {value!r})")
        if carc in amounts:
            raise InvalidInput(f"CARC {carc} is given twice")
        amounts[carc] = amount
    return amounts


def amounts_or_total(
    amount: str | None, carcs: list[str] | None, *, required: bool
) -> dict[str, Any]:
    """The ``amounts=`` / ``total=`` keywords of a service from ``--carc`` / ``--amount``."""
    per_carc = parse_carc_amounts(carcs)
    if amount is not None and per_carc is not None:
        raise InvalidInput("give --amount or --carc, not both")
    if required and amount is None and per_carc is None:
        raise InvalidInput("give --amount, or --carc CARC=AMOUNT for each PR CARC")
    return {"amounts": per_carc, "total": amount}


def session_of(ctx: typer.Context) -> Session:
    session: Session = ctx.obj
    return session


def find_patient(session: Session, ref: str) -> Any:
    """A patient row by MRN, or by id when no MRN matches."""
    return registration.find_patient(session.database, session.actor, ref)


# -- printing --------------------------------------------------------------------------------------
def show(table: Table) -> None:
    """Print a table at least as wide as its amounts need, even past a narrow console: Rich
    would otherwise cut "1234.56" to "12…", and a cut amount is a wrong amount."""
    needed = Console(width=10_000).measure(table).maximum
    console = Console(markup=False, highlight=False)  # names and notes print as typed
    if needed > console.width:
        console = Console(markup=False, highlight=False, width=needed)
    console.print(table)


def amount_table(*headers: str, title: str | None = None) -> Table:
    """A table; a header starting with "$" makes an amount column: right-aligned, never wrapped."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for header in headers:
        if header.startswith("$"):
            table.add_column(header[1:], justify="right", no_wrap=True)
        else:
            table.add_column(header)
    return table


def _pr(category: str) -> Callable[[Balance], int]:
    return lambda balance: balance.by_category(Column.PR)[category]


#: The columns of a procedure (DESIGN.md), shared by the table and the JSON of ``balance``.
BALANCE_COLUMNS: tuple[tuple[str, str, Callable[[Balance], int]], ...] = (
    ("charge", "Charge", lambda b: b.charge),
    ("payer_paid", "Payer\npaid", lambda b: b.payer_paid),
    ("contractual", "Contrac-\ntual", lambda b: b.contractual),
    ("payer_other", "Payer\nother", lambda b: b.payer_other),
    ("deductible", "Deduct-\nible", _pr("deductible")),
    ("coinsurance", "Coin-\nsurance", _pr("coinsurance")),
    ("copay", "Copay", _pr("copay")),
    ("other_pr", "Other\nPR", _pr("other")),
    ("written_off", "Other adj.\n(written off)", lambda b: b.other_adjustments),
    ("patient_paid", "Patient\npaid", lambda b: b.patient_paid),
    ("refunded", "Refund-\ned", lambda b: b.refunded),
    ("patient_balance", "Patient\nbalance", lambda b: b.patient_balance),
)


def balance_amounts(balance: Balance) -> dict[str, str]:
    return {key: format_cents(value(balance)) for key, _, value in BALANCE_COLUMNS}


def patient_line(patient: Any, balance: Balance) -> str:
    line = f"{patient.mrn} {patient.first_name} {patient.last_name} (patient {patient.id}): "
    line += f"balance {format_cents(balance.patient_balance)}"
    return line + (f", credit {format_cents(balance.credit)}" if balance.credit else "")


def signed(cents: int) -> str:
    return ("+" if cents > 0 else "") + format_cents(cents)


def describe_entry(entry: Entry) -> str:
    carc = f"[{entry.carc}]" if entry.carc else ""
    return f"proc {entry.procedure_id} {entry.column.value}{carc} {signed(entry.amount_cents)}"


def report_outcome(session: Session, outcome: approval_requests.Outcome) -> None:
    """The write-offs or cancellation posted, or the approval request they wait in (its number
    to follow)."""
    if outcome.approval is not None:
        approval = outcome.approval
        typer.echo(
            f"approval request {approval.id}: {format_cents(approval.total_cents)} is above "
            "your write-off limit and waits for a billing manager "
            f"(medledger approvals approve {approval.id})"
        )
        return
    for transaction_id in outcome.transaction_ids:
        report_posted(session, transaction_id)


def report_posted(session: Session, transaction_id: int) -> history.TransactionView:
    """After a posting: the transaction and the new balance of the patient it touched."""
    view = history.transaction(session.database, session.actor, transaction_id)
    procedure = accounts.procedure_account(
        session.database, session.actor, view.entries[0].procedure_id
    ).procedure
    account = accounts.patient_account(session.database, session.actor, procedure.patient_id)
    typer.echo(f"posted transaction {transaction_id} ({view.kind.replace('_', ' ')})")
    typer.echo(patient_line(account.patient, account.balance))
    return view


# -- setting up --------------------------------------------------------------------------------------
@command()
def init(
    ctx: typer.Context,
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Create an organisation with this name.")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="MEDLEDGER_NEW_PASSWORD",
            help="The new organisation's admin's password (asked for when not given).",
        ),
    ] = None,
) -> None:
    """Create or migrate the database; optionally create an organisation and its admin user
    (the only command that makes a user without being one)."""
    session = session_of(ctx)
    database = session.database  # opens (and migrates) the database
    typer.echo(f"database ready: {make_url(session.url).render_as_string(hide_password=True)}")
    if organisation:
        secret = password or typer.prompt(
            "password for admin", hide_input=True, confirmation_prompt=True, err=True
        )
        admin = create_organisation(database, organisation, "admin", auth.hash_password(secret))
        typer.echo(f"organisation {admin.organisation_id} created: {organisation}")
        typer.echo(
            f"admin user: admin (log in: medledger login --user admin"
            f" --organisation {admin.organisation_id})"
        )


@command()
def login(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option(help="The token's name, as `token list` shows it.")
    ] = f"cli on {socket.gethostname()}",
) -> None:
    """Log in (the password of --user, asked for) and keep a token for this database, so the
    next commands act as you until it expires or `medledger logout`."""
    session = session_of(ctx)
    actor = session.log_in()
    assert session.username is not None  # log_in asked for it
    _keep_login(session, actor, session.username, name)


def _keep_login(session: Session, actor: Actor, username: str, name: str) -> None:
    """Issue a token to ``actor`` and keep it as the database's login (ending the one before)."""
    _end_stored_login(session)
    issued = auth.issue_token(session.database, actor, name)
    path = credentials.store_login(
        session.url, credentials.StoredLogin(issued.token, username, actor.organisation_id)
    )
    typer.echo(
        f"logged in as {username} (organisation {actor.organisation_id}) until"
        f" {issued.expires_at:%Y-%m-%d %H:%M} UTC; token kept in {path}"
    )


@command()
def logout(ctx: typer.Context) -> None:
    """Revoke the token `medledger login` kept for this database, and forget it."""
    session = session_of(ctx)
    if not _end_stored_login(session):
        typer.echo("not logged in to this database")
        return
    typer.echo("logged out")


def _end_stored_login(session: Session) -> bool:
    """Revoke (if it still works) and forget the database's stored login; False if none."""
    stored = credentials.forget_login(session.url)
    if stored is None:
        return False
    try:
        holder = auth.actor_from_token(session.database, stored.token, "cli")
    except auth.Unauthenticated:
        return True  # it had ended already
    auth.revoke_token(session.database, holder, stored.token)
    return True


@command("setup-roles", group=db_app)
def db_setup_roles(
    ctx: typer.Context,
    superuser_url: Annotated[
        str,
        typer.Option(envvar="MEDLEDGER_SUPERUSER_URL", help="A PostgreSQL superuser's URL."),
    ],
) -> None:
    """Create the tables' owner (--migration-url's user) and the app's least-privilege role
    (--database-url's user), migrate as the owner and grant the app its privileges. Safe to
    repeat."""
    session = session_of(ctx)
    if session.migration_url is None:
        fail("name the tables' owner with --migration-url (or MEDLEDGER_MIGRATION_URL)")
    app_role = setup_roles(superuser_url, session.migration_url, session.url)
    owner = make_url(session.migration_url).username
    typer.echo(f"roles ready: {owner} owns and migrates, {app_role.name} runs the app")


@command()
def demo(
    ctx: typer.Context,
    patients: Annotated[int, typer.Option(min=1, help="How many patients.")] = 300,
    seed: Annotated[int, typer.Option(help="Same seed, same practice.")] = 7,
) -> None:
    """Load "Demo Family Practice": staff, payers, patients, visits, remittances and payments."""
    session = session_of(ctx)
    existing = [
        oid
        for oid, name in registration.organisations(session.database).items()
        if name == DEMO_NAME
    ]
    if existing:
        typer.echo(f"demo practice already loaded (organisation {existing[0]})")
        _log_in_to_demo(session, existing[0])
        return
    progress = Progress(
        *Progress.get_default_columns(), MofNCompleteColumn(), console=Console(stderr=True)
    )
    with progress:
        summary = load_demo(
            session.engine,
            patients=patients,
            seed=seed,
            track=lambda items, label: progress.track(items, description=label),
        )
    typer.echo(f"{DEMO_NAME} loaded (organisation {summary.organisation_id})")
    _log_in_to_demo(session, summary.organisation_id)
    typer.echo(
        f"users admin, manager, biller, frontdesk — password {DEMO_PASSWORD!r} (web UI: medledger serve)"
    )
    if summary.organisation_id != min(registration.organisations(session.database)):
        typer.echo(
            f"it is not the first organisation: add --organisation {summary.organisation_id}"
        )
    typer.echo("users: admin, biller, manager, frontdesk")
    for label, value in (
        ("patients", summary.patients),
        ("encounters", summary.encounters),
        ("procedures", summary.procedures),
        ("remittances", summary.remittances),
        ("estimates", summary.estimates),
        ("patient payments", summary.payments),
        ("write-offs", summary.write_offs),
        ("refunds", summary.refunds),
        ("cancellations", summary.cancellations),
        ("held claims", summary.held_claims),
        ("total PR", format_cents(summary.total_pr_cents)),
        ("outstanding", format_cents(summary.outstanding_cents)),
        ("credit", format_cents(summary.credit_cents)),
    ):
        typer.echo(f"  {label:<17}{value:>12}")


def _log_in_to_demo(session: Session, organisation_id: int) -> None:
    """Log in as the demo's admin with the demo's password, as `medledger login` would (the
    next commands then work as in the README); not if that password was changed."""
    try:
        admin = auth.login(session.database, organisation_id, "admin", DEMO_PASSWORD, "cli")
    except auth.Unauthenticated:
        typer.echo("log in with: medledger login")
        return
    _keep_login(session, admin, "admin", "demo")


@command("add", group=user_app)
def user_add(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: username).")] = None,
    limit: Annotated[str | None, typer.Option(help="Write-off limit, e.g. 100.00.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="MEDLEDGER_NEW_PASSWORD",
            help="Password for the web UI and API tokens (asked for when not given).",
        ),
    ] = None,
) -> None:
    """Add a user to the organisation; the password is stored as an argon2 hash only."""
    session = session_of(ctx)
    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user_id = add_user(session.database, session.actor, username, name or username, role, limit,
        auth.hash_password(secret),
    )  # fmt: skip
    typer.echo(f"user {user_id} added: {username} ({role})")


@command("password", group=user_app)
def user_password(
    ctx: typer.Context,
    username: str,
    password: Annotated[str | None, typer.Option(envvar="MEDLEDGER_NEW_PASSWORD")] = None,
) -> None:
    """Set a user's password (admins: anyone's; others: their own)."""
    session = session_of(ctx)
    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    auth.set_password(session.database, session.actor, username, secret)
    typer.echo(f"password of {username} set; every session and token of theirs ended")


@command("deactivate", group=user_app)
def user_deactivate(ctx: typer.Context, username: str) -> None:
    """Take a user's access away: no more logins; every session and token of theirs ends."""
    session = session_of(ctx)
    auth.deactivate_user(session.database, session.actor, username)
    typer.echo(f"user {username} deactivated; their sessions and tokens ended")


@command("list", group=token_app)
def token_list(ctx: typer.Context) -> None:
    """The tokens that still work (an admin sees everyone's); never the tokens themselves."""
    session = session_of(ctx)
    table = Table("id", "user", "name", "issued", "expires", box=box.SIMPLE)
    for token in auth.list_tokens(session.database, session.actor):
        table.add_row(
            str(token.id), token.username, token.name,
            f"{token.created_at:%Y-%m-%d %H:%M}", f"{token.expires_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    show(table)


@command("revoke", group=token_app)
def token_revoke(ctx: typer.Context, token_id: str) -> None:
    """Revoke a token by its id (one's own, or anyone's for an admin)."""
    session = session_of(ctx)
    auth.revoke_token_by_id(session.database, session.actor, parse_id(token_id, "token id"))
    typer.echo(f"token {token_id} revoked")


@command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Processes serving the same database.")] = 1,
) -> None:
    """Run the HTTP API (/api, OpenAPI at /docs) and the web UI on the chosen database."""
    import uvicorn

    from medledger.app import serving_app

    session = session_of(ctx)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        auth.session_key(session.database)  # the database migrated, its key made, once

        os.environ["MEDLEDGER_DATABASE_URL"] = session.url
        if session.migration_url:
            os.environ["MEDLEDGER_MIGRATION_URL"] = session.migration_url
        config = uvicorn.Config(
            "medledger.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,  # it prints query strings; http/access_log.py writes ours
            proxy_headers=False,  # the app believes MEDLEDGER_TRUSTED_PROXIES (http/session.py)
        )
        Multiprocess(config, sockets=[listening_socket(config)]).run()
    else:
        uvicorn.run(
            serving_app(session.engine), host=host, port=port, access_log=False, proxy_headers=False
        )


def listening_socket(config: Any) -> socket.socket:
    """The workers' shared listening socket, with TCP_NODELAY (Linux copies it to each accepted
    connection). uvicorn binds it without, so asyncio skips TCP_NODELAY on the connections and
    Nagle's algorithm holds every keep-alive response ≈ 40 ms for the client's delayed ACK
    (uvicorn issue #3149)."""
    sock: socket.socket = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


# -- reading -----------------------------------------------------------------------------------------
@command()
def patients(
    ctx: typer.Context,
    search: Annotated[str, typer.Option(help="Part of a name or MRN.")] = "",
    limit: Annotated[int, typer.Option(min=1)] = 50,
    ids_only: Annotated[bool, typer.Option(help="Print only the MRNs, for scripts.")] = False,
) -> None:
    """Patients with their outstanding balance."""
    session = session_of(ctx)
    found = accounts.search_patients(session.database, session.actor, search, limit)
    if ids_only:
        for summary in found:
            typer.echo(summary.patient.mrn)
        return
    if not found:
        typer.echo("no patients found")
        return
    table = amount_table("ID", "MRN", "Name", "$Balance")
    for summary in found:
        row = summary.patient
        table.add_row(
            str(row.id),
            row.mrn,
            f"{row.last_name}, {row.first_name}",
            format_cents(summary.balance.patient_balance),
        )
    show(table)


@command()
def balance(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="MRN or patient id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (decimal strings).")] = False,
) -> None:
    """A patient's account: every procedure's columns, encounter subtotals and the total."""
    session = session_of(ctx)
    row = find_patient(session, patient)
    account = accounts.patient_account(session.database, session.actor, row.id)
    if as_json:
        typer.echo(json.dumps(_account_json(account), indent=2))
        return
    table = amount_table(
        "Date", "Proc", "Code", *(f"${header}" for _, header, _ in BALANCE_COLUMNS),
        title=patient_line(account.patient, account.balance),
    )  # fmt: skip
    for encounter in account.encounters:
        for number, procedure in enumerate(encounter.procedures):
            when = str(encounter.encounter.date_of_service) if number == 0 else ""
            table.add_row(
                when,
                str(procedure.procedure.id),
                procedure.procedure.code,
                *balance_amounts(procedure.balance).values(),
            )
        table.add_row(
            f"encounter {encounter.encounter.id}",
            "",
            "subtotal",
            *balance_amounts(encounter.balance).values(),
            style="bold",
            end_section=True,
        )
    table.add_row("patient", "", "total", *balance_amounts(account.balance).values(), style="bold")
    show(table)


def _account_json(account: accounts.PatientAccount) -> dict[str, Any]:
    patient = account.patient
    return {
        "patient": {
            "id": patient.id,
            "mrn": patient.mrn,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
        },
        "balance": format_cents(account.balance.patient_balance),
        "credit": format_cents(account.balance.credit),
        "encounters": [
            {
                "id": encounter.encounter.id,
                "date_of_service": str(encounter.encounter.date_of_service),
                "patient_control_number": encounter.encounter.patient_control_number,
                "procedures": [
                    {
                        "id": procedure.procedure.id,
                        "code": procedure.procedure.code,
                        "units": procedure.procedure.units,
                        **balance_amounts(procedure.balance),
                    }
                    for procedure in encounter.procedures
                ],
                "total": balance_amounts(encounter.balance),
            }
            for encounter in account.encounters
        ],
        "total": balance_amounts(account.balance),
    }


@command("history")
def history_command(
    ctx: typer.Context, patient: Annotated[str, typer.Argument(help="MRN or patient id.")]
) -> None:
    """Every transaction on a patient's account, oldest first, with this patient's entries."""
    session = session_of(ctx)
    account = accounts.patient_account(
        session.database, session.actor, find_patient(session, patient).id
    )
    typer.echo(patient_line(account.patient, account.balance))
    for view in history.patient_history(session.database, session.actor, account.patient.id):
        typer.echo(
            f"\n#{view.id}  {view.created_at:%Y-%m-%d %H:%M}  {view.kind}  by {view.user} ({view.source})"
        )
        if view.reason_code:
            typer.echo(f"  reason: {view.reason_code} ({view.reason_text})")
        if view.note:
            typer.echo(f"  note: {view.note}")
        if view.reverts_id:
            typer.echo(f"  reverts #{view.reverts_id}")
        if view.reverted_by:
            typer.echo("  reverted by " + ", ".join(f"#{tid}" for tid in view.reverted_by))
        for entry in view.entries:
            typer.echo(f"    {describe_entry(entry)}")


@command("payments")
def payments_command(
    ctx: typer.Context, patient: Annotated[str, typer.Argument(help="MRN or patient id.")]
) -> None:
    """A patient's payments and what each still holds: applied to PR, credit, or given back."""
    session = session_of(ctx)
    row = find_patient(session, patient)
    table = amount_table(
        "Payment", "Received", "Method", "$Amount", "$Applied", "$Credit", "$Refunded/reversed"
    )
    for view in payments.patient_payments(session.database, session.actor, row.id):
        payment = view.payment
        table.add_row(
            str(payment.id),
            str(payment.received_on),
            payment.method,
            *map(
                format_cents,
                (payment.amount_cents, view.applied_cents, view.credit_cents, view.returned_cents),
            ),
        )
    show(table)


@command("can-write-off")
def can_write_off_command(ctx: typer.Context, procedure_id: str) -> None:
    """Whether a procedure's PR can be written off now: the open PR per CARC, or why not.

    Exit code 0 when it can, 1 when it cannot (so scripts can test it).
    """
    session = session_of(ctx)
    procedure = parse_id(procedure_id, "PROCEDURE_ID")
    permission = write_offs.can_write_off(session.database, session.actor, procedure)
    if not permission.allowed:
        assert permission.reason is not None
        typer.echo(f"cannot write off: {permission.reason.message}")
        raise typer.Exit(1)
    typer.echo(f"write-off allowed; open PR of procedure {procedure_id}:")
    for carc, cents in permission.open_by_carc.items():
        typer.echo(f"  CARC {carc:<4} {pr_category(carc):<12}{format_cents(cents):>10}")
    typer.echo(f"  {'total':<22}{format_cents(permission.total_cents):>10}")


@command()
def verify(ctx: typer.Context) -> None:
    """Recompute every balance from the journal and check the ledger's identities."""
    results = verification.verify_all(session_of(ctx).database)
    checked = sum(result.procedures_checked for result in results)
    problems = [f"organisation {r.organisation_id}: {d}" for r in results for d in r.differences]
    if not problems:
        typer.echo(f"OK: {checked} procedures checked, no differences")
        return
    for problem in problems:
        typer.echo(problem)
    fail(f"{len(problems)} differences found in {checked} procedures")


@command()
def report(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", metavar="YYYY-MM-DD", help="First day (UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="Last day, included.")
    ] = None,
) -> None:
    """Write-offs and cancellations by reason, collections by method, payer activity — and
    what patients owe, aged as of the last day (today if no --to)."""
    session = session_of(ctx)
    database, actor = session.database, session.actor
    first = None if start is None else parse_day(start, "--from")
    last = None if end is None else parse_day(end, "--to")
    adjustments = amount_table(
        "Kind", "Reason", "Posted", "$Net", title="Write-offs and cancellations"
    )
    for line in reports.adjustments_by_reason(database, actor, first, last):
        adjustments.add_row(
            line.kind, line.reason_text, str(line.posted_count), format_cents(line.net_cents)
        )
    collections = amount_table(
        "Method", "Payments", "$Received", "$Refunded", "$Net", title="Collections"
    )
    for c in reports.collections_by_method(database, actor, first, last):
        collections.add_row(c.method, str(c.payments), format_cents(c.received_cents),
                            format_cents(c.refunded_cents), format_cents(c.net_cents))  # fmt: skip
    payers = amount_table("Payer", "Remittances", "$Paid", "$Contractual", "$Other payer adj.",
                          "$PR assigned", title="Payer activity")  # fmt: skip
    for p in reports.payer_activity(database, actor, first, last):
        payers.add_row(p.payer, str(p.remittances), format_cents(p.paid_cents), format_cents(p.contractual_cents),
                       format_cents(p.other_adjustments_cents), format_cents(p.pr_cents))  # fmt: skip
    aging = reports.patient_aging(database, actor, last or datetime.now(UTC).date(), limit=50)
    ages = [
        f"${first}-{bound}" if bound else f"${first}+" for first, bound in reports.AGING_BUCKETS
    ]
    aged = amount_table("Patient", "MRN", *ages, "$Total",
                        title=f"Patient balances by age of visit, as of {aging.as_of}")  # fmt: skip
    for a in aging.lines:
        aged.add_row(a.name, a.mrn, *map(format_cents, a.buckets), format_cents(a.total_cents))
    aged.add_row(f"All {aging.patients} patients", "", *map(format_cents, aging.totals),
                 format_cents(sum(aging.totals)))  # fmt: skip
    for table in (adjustments, collections, payers, aged):
        show(table)


# -- posting -----------------------------------------------------------------------------------------
@command("write-off")
def write_off_command(
    ctx: typer.Context,
    reason: Annotated[WriteOffReason, typer.Option(help="Why the PR is not collected.")],
    procedure_id: Annotated[str | None, typer.Argument(help="The procedure.")] = None,
    amount: AmountOption = None,
    carc: CarcOption = None,
    encounter: Annotated[
        str | None, typer.Option(metavar="ID", help="Write off --amount over this encounter.")
    ] = None,
    patient: Annotated[
        str | None, typer.Option(help="Write off --amount over this patient (MRN or id) instead.")
    ] = None,
    custom: CustomOption = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Write off PR: moved to Other Adjustments, the patient balance drops by the amount.

    On one procedure (per CARC with --carc, or --amount split copay → coinsurance → deductible),
    or --amount over a whole encounter or patient, oldest procedure first.
    """
    session = session_of(ctx)
    if sum(target is not None for target in (procedure_id, encounter, patient)) != 1:
        raise InvalidInput("give exactly one of PROCEDURE_ID, --encounter or --patient")
    common: dict[str, Any] = {"custom_reason": custom, "note": note}
    if procedure_id is not None:
        amounts = amounts_or_total(amount, carc, required=True)
        target = parse_id(procedure_id, "PROCEDURE_ID")
        request = ledger_requests.WriteOffRequest(reason, procedure_id=target, **amounts, **common)
    elif carc or amount is None:
        raise InvalidInput("over an encounter or a patient, give one --amount (not --carc)")
    elif encounter is not None:
        encounter_id = parse_id(encounter, "--encounter")
        request = ledger_requests.WriteOffRequest(
            reason, encounter_id=encounter_id, total=amount, **common
        )
    else:
        patient_id = find_patient(session, str(patient)).id
        request = ledger_requests.WriteOffRequest(
            reason, patient_id=patient_id, total=amount, **common
        )
    outcome = write_offs.submit_write_offs(
        session.database, session.actor, [request], client_key(idempotency_key)
    )
    report_outcome(session, outcome)


@command("remove-write-off")
def remove_write_off_command(
    ctx: typer.Context,
    transaction_id: Annotated[str, typer.Argument(help="The write-off's transaction.")],
    reason: Annotated[ReversalReason, typer.Option(help="Why it is removed.")],
    amount: Annotated[str | None, typer.Option(help="Remove only this much.")] = None,
    custom: CustomOption = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Undo a write-off, in whole or in part: the PR is owed again."""
    session = session_of(ctx)
    posted = write_offs.remove_write_off(session.database, session.actor, parse_id(transaction_id, "TRANSACTION_ID"), reason=reason,
        amount=amount,
        custom_reason=custom, note=note, idempotency_key=client_key(idempotency_key),
    )  # fmt: skip
    report_posted(session, posted)


@command("cancel-pr")
def cancel_pr_command(
    ctx: typer.Context,
    procedure_id: Annotated[str, typer.Argument()],
    reason: Annotated[CancelReason, typer.Option(help="Why the PR was wrong.")],
    amount: AmountOption = None,
    carc: CarcOption = None,
    custom: CustomOption = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Cancel PR that should never have existed (all of it unless --amount or --carc).

    Only estimated PR can be cancelled; PR from a remittance changes by payer correction only.
    Above your write-off limit it is filed for approval and its request number printed.
    """
    session = session_of(ctx)
    request = ledger_requests.CancellationRequest(
        parse_id(procedure_id, "PROCEDURE_ID"), reason,
        **amounts_or_total(amount, carc, required=False), custom_reason=custom, note=note,
    )  # fmt: skip
    outcome = cancel_pr(session.database, session.actor, request, client_key(idempotency_key))
    report_outcome(session, outcome)


@command()
def estimate(
    ctx: typer.Context,
    procedure_id: Annotated[str, typer.Argument()],
    carc: CarcOption = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Enter estimated PR before adjudication, e.g. the copay at check-in: --carc 3=20.00."""
    session = session_of(ctx)
    amounts = parse_carc_amounts(carc)
    if amounts is None:
        raise InvalidInput("give --carc CARC=AMOUNT, e.g. --carc 3=20.00 for a copay")
    posted = post_estimate(session.database, session.actor, parse_id(procedure_id, "PROCEDURE_ID"), {**amounts}, note=note,
        idempotency_key=client_key(idempotency_key),
    )  # fmt: skip
    report_posted(session, posted)


@command()
def pay(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="MRN or patient id.")],
    amount: Annotated[str, typer.Argument(help="e.g. 40.00")],
    encounter: Annotated[
        str | None, typer.Option(metavar="ID", help="Apply to this encounter only.")
    ] = None,
    method: Annotated[PaymentMethod, typer.Option()] = PaymentMethod.CARD,
    reference: Annotated[str | None, typer.Option(help="Check or card reference.")] = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Record a patient payment and show where it went.

    It pays open PR oldest procedure first (copay, coinsurance, deductible, other PR); anything
    more stays as credit on the encounter.
    """
    session = session_of(ctx)
    patient_id = find_patient(session, patient).id
    encounter_id = None if encounter is None else parse_id(encounter, "--encounter")
    posted = record_payment(session.database, session.actor, patient_id, amount, method=method, encounter_id=encounter_id,
        reference=reference, note=note, idempotency_key=client_key(idempotency_key),
    )  # fmt: skip
    view = report_posted(session, posted)
    typer.echo(f"payment {view.payment_id}:")
    for entry in view.entries:
        target = f"CARC {entry.carc} ({pr_category(entry.carc)})" if entry.carc else "credit"
        typer.echo(
            f"  {format_cents(entry.amount_cents):>10}  procedure {entry.procedure_id} {target}"
        )


@command()
def refund(
    ctx: typer.Context,
    payment_id: Annotated[str, typer.Argument()],
    amount: Annotated[str | None, typer.Option(help="Refund only this much.")] = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Give money back from a payment: all it still holds, or --amount.

    Credit goes back first, then the PR it paid, which is owed again.
    """
    session = session_of(ctx)
    posted = refund_payment(session.database, session.actor, parse_id(payment_id, "PAYMENT_ID"), amount, note=note,
        idempotency_key=client_key(idempotency_key),
    )  # fmt: skip
    report_posted(session, posted)


@command()
def reverse(
    ctx: typer.Context,
    transaction_id: Annotated[str, typer.Argument()],
    reason: Annotated[ReversalReason, typer.Option(help="Why it is reversed.")],
    custom: CustomOption = None,
    note: NoteOption = None,
    idempotency_key: KeyOption = None,
) -> None:
    """Reverse a posted transaction in full (a payment, refund, estimate, remittance, …)."""
    session = session_of(ctx)
    posted = reverse_transaction(session.database, session.actor, parse_id(transaction_id, "TRANSACTION_ID"), reason=reason,
        custom_reason=custom,
        note=note, idempotency_key=client_key(idempotency_key),
    )  # fmt: skip
    report_posted(session, posted)


# -- remittance files (835) and the review queue ------------------------------------------------------
@command("import-era")
def import_era_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="835 files to import, in this order.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and plan everything, post nothing.")
    ] = False,
) -> None:
    """Import X12 835 remittance files: each posted whole or refused whole.

    A file that is malformed or does not reconcile is refused (nothing of it posts) with the
    segment where it fails; the other files still import. Claims that cannot post are held for
    review (`medledger review`). Exit code 1 when any file was refused.
    """
    session = session_of(ctx)
    summaries, refused = _import_each(files, lambda file: _import_one(session, file, dry_run))
    if summaries:
        for table in _import_tables(summaries, dry_run):
            show(table)
        _report_warnings(summaries)
        _report_held(summaries)
    if refused:
        raise typer.Exit(1)


def _import_one(session: Session, file: Path, dry_run: bool) -> ImportSummary:
    return _with_progress(file, lambda progress: import_era(session.database, session.actor, file, file_name=str(file), dry_run=dry_run,
        progress=progress,
    ))  # fmt: skip


Imported = TypeVar("Imported")


def _import_each(
    files: list[Path], import_one: Callable[[Path], Imported]
) -> tuple[list[Imported], int]:
    """Import each file on its own: a refused file prints its one line and the rest go on.

    Returns the summaries of the files that imported and how many were refused.
    """
    summaries: list[Imported] = []
    refused = 0
    for file in files:
        try:
            summaries.append(import_one(file))
        except (EraRefused, ClaimFileRefused) as error:
            typer.echo(f"error: {error.message}", err=True)
            refused += 1
    return summaries, refused


def _with_progress(file: Path, run: Callable[[ImportProgress], Imported]) -> Imported:
    """Import one file with a progress bar (on a terminal) over its bytes as they are read."""
    console = Console(stderr=True)
    with Progress(
        *Progress.get_default_columns(), DownloadColumn(), console=console, transient=True,
        disable=not console.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task(f"{file.name}: importing", total=None)

        def advance(phase: str, done: int, total: int) -> None:
            progress.update(task, description=f"{file.name}: {phase}", completed=done,
                            total=total or None)  # fmt: skip

        return run(advance)


#: The file column of the import summary: with the eight count and amount columns (up to
#: 999999.99 paid), 80 characters in all.
FILE_COLUMN_WIDTH = 20


def _import_tables(summaries: list[ImportSummary], dry_run: bool) -> list[Table]:
    """What each file posted, then the patient responsibility it assigned by kind: two narrow
    tables rather than one of twelve columns, so both fit an 80-column terminal."""
    title = "Would import (dry run: nothing posted)" if dry_run else "Imported"
    posted = amount_table(
        "File", "$New\nsets", "$Seen\nsets", "$Claims", "$Posted", "$Held", "$Lines\nposted",
        "$Paid", "$Patient\nresp.", title=title,
    )  # fmt: skip
    by_kind = amount_table(
        "File", "$Deductible", "$Coinsurance", "$Copay", "$Other PR",
        title="Patient responsibility by kind",
    )  # fmt: skip
    for table in (posted, by_kind):  # a long file name folds, so the tables fit 80 columns
        table.columns[0].overflow, table.columns[0].max_width = "fold", FILE_COLUMN_WIDTH
        table.padding = (0, 0)  # the box leaves one space between columns
    for summary in summaries:
        name = Path(summary.file_name).name
        pr = {category: 0 for category in ("deductible", "coinsurance", "copay", "other")}
        for carc, cents in summary.pr_by_carc.items():
            pr[pr_category(carc)] += cents
        posted.add_row(
            name, str(summary.remittances), str(summary.already_imported), str(summary.claims),
            str(summary.claims_posted), str(summary.held_claims), str(summary.lines_posted),
            format_cents(summary.paid_cents), format_cents(sum(pr.values())),
        )  # fmt: skip
        by_kind.add_row(name, *(format_cents(cents) for cents in pr.values()))
    return [posted, by_kind]


def _report_warnings(summaries: list[ImportSummary]) -> None:
    """Each file's warnings, one a line: what was off in it though its meaning was clear."""
    for summary in summaries:
        for warning in summary.warnings:
            typer.echo(f"warning: {Path(summary.file_name).name}: {warning}")


def _report_held(summaries: list[ImportSummary]) -> None:
    held: dict[str, int] = {}
    for summary in summaries:
        for reason, count in summary.held.items():
            held[reason] = held.get(reason, 0) + count
    if held:
        reasons = ", ".join(f"{reason.replace('_', ' ')} {count}" for reason, count in held.items())
        typer.echo(f"held for review: {reasons} (see `medledger review`)")


# -- claim files (837) -------------------------------------------------------------------------
@command("import-claims")
def import_claims_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="837 files to import, in this order.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and plan everything, post nothing.")
    ] = False,
) -> None:
    """Import X12 837 claim files: the patients, visits and charges they bill.

    Each file is imported whole or refused whole (a malformed file, or a claim whose lines do
    not add up to CLM02, names the segment); the other files still import. A file imported
    before posts nothing. Replacement (7) and void (8) claims take back earlier charges, or are
    held when money is posted against them. Exit code 1 when any file was refused.
    """
    session = session_of(ctx)
    summaries, refused = _import_each(files, lambda file: _claims_of(session, file, dry_run))
    if summaries:  # at the console's width: the file name folds, the amounts never do
        Console(markup=False, highlight=False).print(_claims_table(summaries, dry_run))
    for summary in summaries:
        if summary.already_imported:
            typer.echo(f"{Path(summary.file_name).name}: imported before, nothing posted")
        for _, reason in summary.held:
            typer.echo(f"held: {reason}")
    if refused:
        raise typer.Exit(1)


def _claims_of(session: Session, file: Path, dry_run: bool) -> ClaimImportSummary:
    return _with_progress(file, lambda progress: import_claims(session.database, session.actor, file, file_name=str(file), dry_run=dry_run,
        progress=progress,
    ))  # fmt: skip


def _claims_table(summaries: list[ClaimImportSummary], dry_run: bool) -> Table:
    """One row per file, within 80 columns: a long file name folds onto more lines."""
    title = "Would import (dry run: nothing posted)" if dry_run else "Imported"
    table = amount_table(
        "File", "$Claims", "$New", "$Re-\nplaced", "$Voided", "$Un-\nchanged", "$Held",
        "$Pa-\ntients\nadded", "$Lines", "$Charges", title=title,
    )  # fmt: skip
    table.box, table.collapse_padding = None, True  # one space between columns
    table.columns[0].overflow = "fold"
    for s in summaries:
        table.add_row(
            Path(s.file_name).name, str(s.claims), str(s.imported), str(s.replaced),
            str(s.voided), str(s.unchanged), str(len(s.held)), str(s.patients_added),
            str(s.lines), format_cents(s.charge_cents),
        )  # fmt: skip
    return table


# -- registering by hand -------------------------------------------------------------------------
LastOption = Annotated[str | None, typer.Option("--last", help="Last name.")]
FirstOption = Annotated[str | None, typer.Option("--first", help="First name.")]
BirthOption = Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD.")]
SexOption = Annotated[str | None, typer.Option("--sex", help="F, M or U.")]
MemberOption = Annotated[str | None, typer.Option("--member-id", help="Insurance member id.")]
Address1Option = Annotated[str | None, typer.Option("--address1")]
Address2Option = Annotated[str | None, typer.Option("--address2")]
CityOption = Annotated[str | None, typer.Option("--city")]
StateOption = Annotated[str | None, typer.Option("--state")]
PostalOption = Annotated[str | None, typer.Option("--postal-code")]
PayerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--payer",
        help="Coverage PAYER_CODE[:ORDER[:MEMBER_ID]], ORDER primary (default), secondary or "
        "tertiary; repeat for more.",
    ),
]
RemovePayerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--remove-payer",
        help="Remove the coverage PAYER_CODE[:ORDER] (ORDER primary by default); repeat for more.",
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")]


def _details(
    first: str | None, last: str | None, birth: str | None, sex: str | None, member: str | None,
    address: tuple[str | None, str | None, str | None, str | None, str | None],
) -> PatientDetails:  # fmt: skip
    born = None if birth is None else parse_day(birth, "birth_date")
    return PatientDetails(first, last, born, sex, member, *address)


def _coverages(specs: list[str] | None) -> list[registration.CoverageInput]:
    """``CODE[:ORDER[:MEMBER_ID]]`` per --payer."""
    found = []
    for spec in specs or []:
        code, _, rest = spec.partition(":")
        order, _, member = rest.partition(":")
        found.append(registration.CoverageInput(code, order or "primary", member or None))
    return found


def _coverage_keys(specs: list[str] | None) -> list[registration.CoverageKey]:
    """``CODE[:ORDER]`` per --remove-payer."""
    keys = []
    for spec in specs or []:
        code, _, order = spec.partition(":")
        keys.append(registration.CoverageKey(code, order or "primary"))
    return keys


def _show_record(record: registration.PatientRecord, verb: str, dry_run: bool) -> None:
    """The patient as stored (or as a dry run would leave them): coverages, who registered
    them and who last changed them, as the API's record and the patient's page say."""
    row = record.patient
    what = "would be" if dry_run else "was"
    typer.echo(f"patient {row.id} (MRN {row.mrn}) {what} {verb}: {row.last_name}, {row.first_name}")
    for coverage in record.coverages:
        typer.echo(f"  {coverage.order}: {coverage.payer_code} {coverage.member_id or ''}".rstrip())
    stamps = [("registered", record.registered), ("last changed", record.changed)]
    for label, stamp in stamps:
        if stamp is not None:
            who = stamp.user_name or "(not recorded)"
            typer.echo(f"  {label} by {who} on {stamp.at:%Y-%m-%d %H:%M} UTC")


@command("import-csv")
def import_csv_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV of patients, visits and charges.")],
    dry_run: DryRunOption = False,
) -> None:
    """Import patients, visits and charges from a CSV (columns: docs/csv-import.md).

    Every row is checked first; when any is wrong nothing is written and every problem is listed
    as row, column and problem (exit code 1).
    """
    session = session_of(ctx)
    try:
        summary = import_csv(
            session.database, session.actor, file, file_name=str(file), dry_run=dry_run
        )
    except CsvRefused as error:
        table = Table("Row", "Column", "Problem", title="Nothing imported", box=box.SIMPLE)
        for problem in error.details["errors"]:
            table.add_row(str(problem["row"]), problem["column"], problem["problem"])
        Console(markup=False, highlight=False).print(table)
        fail(error.message)
    title = "Would import (dry run: nothing written)" if dry_run else "Imported"
    table = amount_table(
        "File", "$Rows", "$Patients\nadded", "$Patients\nfound", "$Visits", "$Visits\nunchanged",
        "$Lines", "$Charges", title=title,
    )  # fmt: skip
    table.add_row(
        file.name, str(summary.rows), str(summary.patients_added), str(summary.patients_matched),
        str(summary.visits), str(summary.visits_unchanged), str(summary.lines),
        format_cents(summary.charge_cents),
    )  # fmt: skip
    Console(markup=False, highlight=False).print(table)


@command("add", group=patient_app)
def patient_add(
    ctx: typer.Context,
    mrn: Annotated[str, typer.Argument(help="The practice's medical record number.")],
    last: Annotated[str, typer.Option("--last", help="Last name.")],
    first: FirstOption = None, birth_date: BirthOption = None, sex: SexOption = None,
    member_id: MemberOption = None, address1: Address1Option = None,
    address2: Address2Option = None, city: CityOption = None, state: StateOption = None,
    postal_code: PostalOption = None, payer: PayerOption = None, dry_run: DryRunOption = False,
) -> None:  # fmt: skip
    """Register a patient (refused when the MRN is taken, or the same member id, birth date and
    name is registered already)."""
    session = session_of(ctx)
    details = _details(
        first, last, birth_date, sex, member_id, (address1, address2, city, state, postal_code)
    )
    record = registration.register_patient(
        session.database, session.actor, mrn, details, _coverages(payer), dry_run=dry_run
    )
    _show_record(record, "registered", dry_run)


@command("update", group=patient_app)
def patient_update(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="MRN or patient id.")],
    mrn: Annotated[str | None, typer.Option("--mrn", help="A new MRN.")] = None,
    last: LastOption = None, first: FirstOption = None, birth_date: BirthOption = None,
    sex: SexOption = None, member_id: MemberOption = None, address1: Address1Option = None,
    address2: Address2Option = None, city: CityOption = None, state: StateOption = None,
    postal_code: PostalOption = None, payer: PayerOption = None,
    remove_payer: RemovePayerOption = None, dry_run: DryRunOption = False,
) -> None:  # fmt: skip
    """Change a patient's details (only the options given), remove coverages, then add
    coverages (one held already, same payer and order, takes the member id given)."""
    session = session_of(ctx)
    details = _details(
        first, last, birth_date, sex, member_id, (address1, address2, city, state, postal_code)
    )
    record = registration.update_patient(session.database, session.actor, find_patient(session, patient).id, details,
        _coverages(payer), mrn=mrn, remove_coverages=_coverage_keys(remove_payer), dry_run=dry_run,
    )  # fmt: skip
    _show_record(record, "updated", dry_run)


_LINE = re.compile(
    r"(?P<code>[^:*=]+)(?P<modifiers>(?::[^:*=]+)*)(?:\*(?P<units>[0-9]{1,4}))?=(?P<charge>.+)"
)


def parse_line(spec: str) -> registration.ProcedureInput:
    """``CODE[:MOD...][*UNITS]=CHARGE``, e.g. ``99213:25=150.00`` or ``97110*3=285.00``."""
    match = _LINE.fullmatch(spec.strip())
    if match is None:
        raise InvalidInput(
            f"--line {spec[:40]!r}: write CODE[:MODIFIER...][*UNITS]=CHARGE, e.g. 99213:25=150.00"
        )
    modifiers = tuple(m for m in match["modifiers"].split(":") if m)
    units = int(match["units"]) if match["units"] else 1
    return registration.ProcedureInput(match["code"], match["charge"], modifiers, units)


@command("add", group=visit_app)
def visit_add(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="MRN or patient id.")],
    on: Annotated[str, typer.Option("--date", help="Date of service, YYYY-MM-DD.")],
    line: Annotated[
        list[str], typer.Option("--line", help="CODE[:MOD...][*UNITS]=CHARGE; repeat per line.")
    ],
    pcn: Annotated[
        str | None, typer.Option("--pcn", help="Patient control number (made up if left out).")
    ] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="Payer code billed.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Place of service.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Rendering provider.")] = None,
    diagnosis: Annotated[
        list[str] | None, typer.Option("--diagnosis", help="ICD-10 code; repeat in order.")
    ] = None,
    dry_run: DryRunOption = False,
    idempotency_key: KeyOption = None,
) -> None:
    """Add a visit with its charges (posted in one transaction) and show the patient's balance."""
    session = session_of(ctx)
    patient_id = find_patient(session, patient).id
    payer_id = None if payer is None else registration.payer_by_code(session.database, session.actor, payer
    ).id  # fmt: skip
    lines = [parse_line(spec) for spec in line]
    details = registration.VisitDetails(place, provider, tuple(diagnosis or ()))

    def add() -> int:
        return registration.add_encounter(session.database, session.actor, patient_id, pcn, parse_day(on, "date"), lines,
            payer_id, details=details, idempotency_key=idempotency_key,
        )  # fmt: skip

    if dry_run:
        with dry_run_of() as effect:
            add()
        typer.echo(
            f"dry run: would charge {format_cents(sum(e.amount_cents for e in effect.entries))}"
        )
        return
    account = accounts.encounter_account(session.database, session.actor, add())
    row = account.encounter
    typer.echo(
        f"encounter {row.id} ({row.patient_control_number}, {row.date_of_service}): "
        f"charged {format_cents(account.balance.charge)}"
    )
    for procedure in account.procedures:
        typer.echo(
            f"  procedure {procedure.procedure.id}  {procedure.procedure.code:<8}"
            f"{format_cents(procedure.balance.charge):>12}"
        )


@command("void-charge")
def void_charge_command(
    ctx: typer.Context,
    procedure_id: int,
    reason: Annotated[
        CancelReason, typer.Option(help="Why the charge is wrong.")
    ] = CancelReason.ENTERED_IN_ERROR,
    custom: CustomOption = None,
    note: NoteOption = None,
    dry_run: DryRunOption = False,
    idempotency_key: KeyOption = None,
) -> None:
    """Void a charge entered in error (refused once money has moved against it)."""
    session = session_of(ctx)
    check_id(procedure_id, "procedure")

    def void() -> int:
        return void_charge(session.database, session.actor, procedure_id, reason=reason, custom_reason=custom,
            note=note, idempotency_key=idempotency_key,
        )  # fmt: skip

    if dry_run:
        with dry_run_of() as effect:
            void()
        typer.echo(
            f"dry run: would take back {format_cents(-sum(e.amount_cents for e in effect.entries))}"
        )
        return
    report_posted(session, void())


@review_app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    all_items: Annotated[bool, typer.Option("--all", help="Resolved items too.")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """Claims held by imports, newest first: why, and what the payer sent."""
    if ctx.invoked_subcommand is not None:
        return
    session = session_of(ctx)
    try:
        items = held_claims(
            session.database, session.actor, include_resolved=all_items, limit=limit
        )
    except LedgerError as error:
        fail(error.message)
    if not items:
        typer.echo("no claims held for review")
        return
    table = amount_table(
        "ID", "Reason", "Claim", "Status", "$Charge", "$Paid", "Payer", "Trace", "Detail",
        *(["Resolution"] if all_items else []),
    )  # fmt: skip
    for item in items:
        claim = item.claim
        table.add_row(
            str(item.id), item.reason.replace("_", " "), claim.patient_control_number,
            claim.status_code, format_cents(claim.charge_cents), format_cents(claim.paid_cents),
            item.payer, item.trace_number, item.detail,
            *([_resolution(item)] if all_items else []),
        )  # fmt: skip
    show(table)


def _resolution(item: Any) -> str:
    if item.resolution == "posted":
        return f"posted to encounter {item.encounter_id} (transaction {item.transaction_id})"
    if item.resolution == "dismissed":
        return f"dismissed: {item.note}"
    return "open"


@command("resolve", group=review_app)
def review_resolve(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="The held claim (see `medledger review`).")],
    encounter: Annotated[str, typer.Option(metavar="ID", help="The encounter the claim is about.")],
    procedure: Annotated[
        list[str] | None,
        typer.Option(help="Each line's procedure, in line order, when the lines do not match."),
    ] = None,
) -> None:
    """Post a held claim to an encounter, through the same rules as the import."""
    session = session_of(ctx)
    lines = None if procedure is None else [parse_id(p, "--procedure") for p in procedure]
    posted = resolve_held_claim(session.database, session.actor, parse_id(item_id, "ITEM_ID"),
        parse_id(encounter, "--encounter"), lines,
    )  # fmt: skip
    typer.echo(f"held claim {item_id} posted to encounter {encounter} (transaction {posted})")


@command("dismiss", group=review_app)
def review_dismiss(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="The held claim (see `medledger review`).")],
    reason: Annotated[str, typer.Option(help="Why it is not posted.")],
) -> None:
    """Close a held claim without posting it (a duplicate, not the practice's patient, ...)."""
    session = session_of(ctx)
    dismiss_held_claim(session.database, session.actor, parse_id(item_id, "ITEM_ID"), reason)
    typer.echo(f"held claim {item_id} dismissed")


# -- approvals and settings ------------------------------------------------------------------------
if TYPE_CHECKING:  # the type checker sees a status as text
    WhichApprovals = str
else:  # Typer offers (and checks) the statuses, and "all", as choices
    WhichApprovals = Literal[(*(status.value for status in ApprovalStatus), "all")]


@approvals_app.callback(invoke_without_command=True)
def approvals_list(
    ctx: typer.Context,
    status: Annotated[WhichApprovals, typer.Option(help="Which requests.")] = "pending",
) -> None:
    """Approval requests, oldest first (managers: everyone's; others: their own)."""
    if ctx.invoked_subcommand is not None:
        return
    session = session_of(ctx)
    try:
        lines = approval_queue(session.database, session.actor, None if status == "all" else status)
    except LedgerError as error:
        fail(error.message)
    if not lines:
        typer.echo(f"no {'' if status == 'all' else status + ' '}approval requests")
        return
    table = amount_table("ID", "Kind", "Status", "Requested by", "$Total", "On", "Decided by")
    for line in lines:
        approval = line.approval
        table.add_row(
            str(approval.id), line.kind, approval.status, line.requested_by,
            format_cents(approval.total_cents), "; ".join(t.label for t in line.targets),
            line.decided_by or "",
        )  # fmt: skip
    show(table)


@command("approve", group=approvals_app)
def approvals_approve(
    ctx: typer.Context,
    approval_id: Annotated[
        str,
        typer.Argument(help="The request (see `medledger approvals`)."),
    ],
) -> None:
    """Approve a request: its write-offs or cancellation post now, with the decision, in one
    transaction."""
    session = session_of(ctx)
    view = approvals.approve(session.database, session.actor, parse_id(approval_id, "APPROVAL_ID"))
    typer.echo(f"approval request {approval_id} approved")
    for transaction_id in view.transaction_ids:
        report_posted(session, transaction_id)


@command("reject", group=approvals_app)
def approvals_reject(
    ctx: typer.Context,
    approval_id: Annotated[
        str,
        typer.Argument(help="The request (see `medledger approvals`)."),
    ],
    reason: Annotated[str, typer.Option(help="Why it is not written off or cancelled.")],
) -> None:
    """Reject a request: nothing posts, and what it held is offered again."""
    session = session_of(ctx)
    approvals.reject(session.database, session.actor, parse_id(approval_id, "APPROVAL_ID"), reason)
    typer.echo(f"approval request {approval_id} rejected")


@command("settings")
def settings_command(
    ctx: typer.Context,
    time_zone: Annotated[
        str | None, typer.Option(help="The practice's time zone, e.g. America/Chicago.")
    ] = None,
    limit_window_days: Annotated[
        int | None,
        typer.Option(help="Calendar days a user's write-off limit is summed over (1: today)."),
    ] = None,
) -> None:
    """Show the organisation's settings, or change them (administrators)."""
    session = session_of(ctx)
    if time_zone is None and limit_window_days is None:
        window = settings.limit_window(session.database, session.actor)
    else:
        window = settings.set_limit_window(
            session.database, session.actor, time_zone=time_zone, days=limit_window_days
        )
    typer.echo(f"time zone: {window.time_zone}")
    typer.echo(f"limit window: {window.days} calendar day(s), today included")
