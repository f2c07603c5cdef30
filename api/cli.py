"""`policy-ledger`: the command-line face. Every command honours POLICY_LEDGER_DATABASE_URL."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console, Group
from rich.progress import Progress
from rich.text import Text

from api import render, security
from api.bootstrap import ConfigurationError, Services, StoreNotFoundError, build_services
from api.collection import batch_collection
from api.security import Role
from api.settings import Settings
from api.timeparse import MomentError, now, parse_date, parse_moment, today
from domain.errors import LedgerError
from domain.facts import Basis
from domain.integrity import BrokenChainError, SealMismatchError
from domain.signing import Seal
from domain.words import counted

if TYPE_CHECKING:
    from domain.application import PolicyLedger
    from domain.exchange import Exported, Imported
    from domain.integrity import IntegrityReport
    from projections.doctor import Check, ReplicaLag
    from projections.tokens import TokenTable

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = render.Output()
errors = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON document.")]
KnownAt = Annotated[
    str | None,
    typer.Option("--known-at", help="As recorded at this moment (ISO 8601; default: now)."),
]
PublishedBy = Annotated[
    str | None,
    typer.Option(
        "--published-by",
        help="Count only acts published on or before this date (YYYY-MM-DD; default: all).",
    ),
]


def refused(red: str, rest: str = "", code: int = 2) -> typer.Exit:
    """Prints an error to stderr, `red` in red, then `rest`; the exit to raise.

    Whole lines: rich would wrap them at the terminal's width, mid-sentence and mid-path.
    Not read as markup: paths and messages may hold brackets.
    """
    errors.print(Text.assemble((red, "red"), rest), soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def opened_ledger(create: bool = False) -> Iterator[Services]:
    """The ledger from settings, caught up; domain and input errors exit 2 with a message.

    Only commands that write (`create`) create a SQLite store that does not exist yet.
    """
    try:
        ledger = build_services(Settings(), create=create)
    except StoreNotFoundError as error:
        raise refused("error:", f" {error}") from None
    except ConfigurationError as error:
        raise refused("configuration:", f" {error}") from None
    try:
        ledger.catch_up.run()
        yield ledger
    except (LedgerError, MomentError) as error:
        raise refused("error:", f" {getattr(error, 'detail', error)}") from None
    finally:
        ledger.close()


def emit(doc: Any, as_json: bool, human: Callable[[Any], Any], *, soft_wrap: bool = False) -> None:
    """The document as JSON, or for people; soft_wrap keeps hashes and paths whole."""
    if as_json:
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        console.print(human(doc), soft_wrap=soft_wrap)


def _known_at(text: str | None) -> Any:
    return parse_moment(text, name="--known-at") if text else now()


def _published_by(text: str | None) -> Any:
    return parse_date(text, name="--published-by") if text else None


@cli.command()
def init() -> None:
    """Create the store, its read model and a signing key (safe to repeat)."""
    from api.bootstrap import signing_key_path
    from domain.signing import create_key

    with opened_ledger(create=True) as ledger:
        console.print(f"Store ready: {ledger.settings.database_url}", soft_wrap=True)
        _migrate_tokens(ledger)
        if ledger.signer is None:
            ledger.use_signer(create_key(signing_key_path(ledger.settings)))
            assert ledger.signer is not None
            ledger.verify()  # a ledger that holds gets a checkpoint signed with the new key
            console.print(
                f"Signing key created: {ledger.signer.path} (mode 0600, key id "
                f"{ledger.signer.key_id}); keep it secret, and back it up.",
                soft_wrap=True,
            )
        else:
            console.print(
                f"Signing key: {ledger.signer.path} (key id {ledger.signer.key_id})",
                soft_wrap=True,
            )


@cli.command()
def verify(as_json: JsonFlag = False) -> None:
    """Recompute every hash chain from the stored rows; exit 1 if any link is broken."""
    from projections.integrity import integrity_document, latest_checkpoint

    with opened_ledger() as ledger:
        report = ledger.verify()
        doc = integrity_document(report, ledger.signer, latest_checkpoint(ledger.checkpoints))
        emit(doc, as_json, render.integrity, soft_wrap=True)
    if not doc["ok"]:
        raise typer.Exit(1)


@cli.command()
def load(
    file: Annotated[
        Path,
        typer.Argument(
            help="YAML or JSON file of amendments, or a folder of them (loaded in name order)."
        ),
    ],
    author: Annotated[str, typer.Option(help="Recorded as the author.")] = "",
    skip_loaded: Annotated[
        bool,
        typer.Option(
            "--skip-loaded",
            help="Skip a file whose countries all have a recorded policy already.",
        ),
    ] = False,
) -> None:
    """Validate a whole file of amendments, or every file of a folder, then record all or none."""
    from domain.loader import AmendmentFileError, record_path

    with opened_ledger(create=True) as ledger:
        try:
            loaded = record_path(
                ledger.app, file, author or getpass.getuser(), skip_loaded=skip_loaded
            )
        except AmendmentFileError as error:
            problems = "".join(f"\n  - {p}" for p in error.problems)
            found = counted(len(error.problems), "problem")
            whole = f" from {file}: no file of the folder was recorded" if file.is_dir() else ""
            raise refused(f"{error.path}: nothing loaded{whole}", f" ({found}){problems}") from None
        ledger.catch_up.run()
        for skipped in loaded.skipped:
            console.print(f"Skipped {skipped}: its countries are loaded already.", soft_wrap=True)
        files = f" ({counted(len(loaded.files), 'file')})" if file.is_dir() else ""
        console.print(
            f"Recorded {counted(len(loaded.recorded), 'amendment')} from {file}{files}.",
            soft_wrap=True,
        )


@cli.command("countries")
def list_countries(as_json: JsonFlag = False) -> None:
    """Countries with a recorded policy."""
    with opened_ledger() as ledger:
        emit(ledger.reads.queries().countries(), as_json, render.countries)


@cli.command()
def policy(
    country: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. PK.")],
    on: Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD); default: today.")] = None,
    known_at: KnownAt = None,
    region: Annotated[
        str | None,
        typer.Option(help="For a person from this ISO 3166-2 region (e.g. IQ-NI)."),
    ] = None,
    area: Annotated[
        list[str] | None,
        typer.Option(help="An area the person is in (a defined area id); repeatable."),
    ] = None,
    published_by: PublishedBy = None,
    as_json: JsonFlag = False,
) -> None:
    """The policy in force on a date, as the ledger knew it at a moment; with --region or
    --area, as it applies to a person from there (each element says where it came from)."""
    from projections.queries import Place

    place = None
    if region is not None or area:
        place = Place(region.strip().upper() if region else None, tuple(dict.fromkeys(area or [])))
    with opened_ledger() as ledger:
        day = parse_date(on, name="--on") if on else today()
        by = _published_by(published_by)
        known = _known_at(known_at)
        answer = ledger.reads.policy(country, day, known, published_by=by, place=place)
        doc = answer.document()
        doc["known_at"] = known.isoformat()  # as the CLI always wrote it (the API: `Z`)
        emit(doc, as_json, render.policy)


@cli.command()
def timeline(
    country: str,
    known_at: KnownAt = None,
    published_by: PublishedBy = None,
    as_json: JsonFlag = False,
) -> None:
    """Every amendment of a country with its status and dates."""
    with opened_ledger() as ledger:
        by = _published_by(published_by)
        doc = ledger.reads.queries().timeline(country, _known_at(known_at), by)
        emit(doc, as_json, render.timeline)


@cli.command()
def history(
    country: str,
    element: Annotated[str, typer.Argument(help="e.g. group:pti or article_15c:PK-BA")],
    known_at: KnownAt = None,
    published_by: PublishedBy = None,
    as_json: JsonFlag = False,
) -> None:
    """The life of one policy element over valid time."""
    with opened_ledger() as ledger:
        by = _published_by(published_by)
        doc = ledger.reads.queries().history(country, element, _known_at(known_at), by)
        emit(doc, as_json, render.history)


@cli.command()
def diff(
    country: str,
    from_: Annotated[str, typer.Option("--from", help="First date (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", help="Second date (YYYY-MM-DD).")],
    known_at: KnownAt = None,
    published_by: PublishedBy = None,
    as_json: JsonFlag = False,
) -> None:
    """What changed between two dates, element by element, with the amendment behind it."""
    with opened_ledger() as ledger:
        first, second = parse_date(from_, name="--from"), parse_date(to, name="--to")
        by = _published_by(published_by)
        doc = ledger.reads.queries().diff(country, first, second, _known_at(known_at), by)
        emit(doc, as_json, render.diff)


@cli.command("export")
def export_ledger(
    directory: Annotated[Path, typer.Argument(help="Directory to write (empty or new).")],
) -> None:
    """Write the whole ledger, verified, as JSON Lines with a signed manifest."""
    from domain.exchange import export_ledger as export

    exported = _write_out(
        lambda ledger: export(ledger.app, ledger.signer, directory, ledger.verifier())
    )
    manifest = exported.manifest
    signed = (
        f"signed with key id {manifest['key_id']}"
        if manifest["signature"]
        else "not signed: no signing key (policy-ledger init creates one)"
    )
    console.print(
        f"Exported {counted(exported.events, 'event')} to {directory}\n"
        f"digest: {exported.digest}\n{signed}",
        soft_wrap=True,
    )


@cli.command("import")
def import_ledger(
    directory: Annotated[Path, typer.Argument(help="A directory written by policy-ledger export.")],
) -> None:
    """Check an export whole, then store it into an empty store (same digest, same answers)."""
    from domain.exchange import import_ledger as restore

    def read(ledger: Services) -> Imported:
        imported = restore(ledger.app, directory)
        ledger.catch_up.run()
        return imported

    imported = _read_in(read, f"{directory}: nothing imported")
    signed = (
        f"signature of key id {imported.signed_by} holds"
        if imported.signed_by
        else "the export was not signed"
    )
    console.print(
        f"Imported {counted(imported.events, 'event')} from {directory}\n"
        f"digest: {imported.digest}\n{signed}",
        soft_wrap=True,
    )


@cli.command("backup")
def backup_ledger(
    file: Annotated[Path, typer.Argument(help="Backup file to write (.tar.gz; never replaced).")],
) -> None:
    """Write the whole ledger, verified and signed, to one file (an export, packed)."""
    from domain.backup import backup

    exported = _write_out(lambda ledger: backup(ledger.app, ledger.signer, file, ledger.verifier()))
    console.print(
        f"Backed up {counted(exported.events, 'event')} to {file}\ndigest: {exported.digest}",
        soft_wrap=True,
    )


@cli.command("restore")
def restore_ledger(
    file: Annotated[Path, typer.Argument(help="A file written by policy-ledger backup.")],
) -> None:
    """Restore a backup into an empty store; the stored log must verify to its digest."""
    from domain.backup import restore

    def read(ledger: Services) -> Imported:
        def verify() -> IntegrityReport:  # the restored log, the read model caught up first
            ledger.catch_up.run()
            return ledger.verify()

        return restore(ledger.app, file, verify)

    imported = _read_in(read, f"{file}: nothing restored")
    console.print(
        f"Restored {counted(imported.events, 'event')} from {file}\n"
        f"digest: {imported.digest} (verified)",
        soft_wrap=True,
    )


def _write_out(write: Callable[[Services], Exported]) -> Exported:
    """Runs an export-like command: exit 1 when the ledger is broken, 2 when it cannot."""
    from domain.exchange import BrokenLedgerError, ExportError

    with opened_ledger() as ledger:
        try:
            return write(ledger)
        except BrokenLedgerError as error:
            raise refused(str(error), code=1) from None
        except ExportError as error:
            raise refused("error:", f" {error}") from None


def _read_in(read: Callable[[Services], Imported], nothing: str) -> Imported:
    """Runs an import-like command: exit 2, nothing stored, when the input is refused."""
    from domain.errors import LedgerNotEmptyError
    from domain.exchange import ExportError

    with opened_ledger(create=True) as ledger:  # a store's first events
        try:
            return read(ledger)
        except (ExportError, LedgerNotEmptyError) as error:
            raise refused(nothing, f"\n{error}") from None


@cli.command()
def rebuild(
    accept_broken_chain: Annotated[
        bool,
        typer.Option(
            "--accept-broken-chain",
            help="Rebuild even if a chain is broken (the checkpoints keep the heads it "
            "contradicts, so verify still reports it).",
        ),
    ] = False,
) -> None:
    """Drop every projection and rebuild it from the event log, once every chain holds
    (the checkpoint trail, which keeps the heads recorded so far, is never dropped)."""
    from projections.integrity import keep_heads

    with opened_ledger() as ledger:
        report = ledger.verify()
        first = report.first_broken
        if first is not None and not accept_broken_chain:
            raise refused(
                f"not rebuilt: {first.describe()}",
                "\nThe read model's heads witness the break; policy-ledger verify shows it. "
                "Rebuild anyway with --accept-broken-chain (its heads are kept as a "
                "checkpoint, so the break stays reported).",
                code=1,
            )
        keep_heads(ledger.view, ledger.checkpoints)
        ledger.view.drop_policy_rows(ledger.app.name)
        ledger.projection.forget()
        total = ledger.catch_up.head()
        with Progress(console=errors, transient=True) as progress:
            task = progress.add_task("rebuilding", total=total or 1)
            ledger.catch_up.run(progress=lambda done, _: progress.update(task, completed=done))
        console.print(f"Rebuilt the read model from {counted(report.events, 'event')}.")
        if first is not None:
            errors.print(
                Text.assemble(("over a broken chain: ", "red"), first.describe()), soft_wrap=True
            )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API with uvicorn."""
    import uvicorn

    from api.observability import log_config

    settings = Settings()
    with _metrics_dir(workers):
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=log_config(settings),
            access_log=False,  # the app writes its own access lines, with request ids
            # SIGTERM: stop accepting, let requests in flight finish (this long at most).
            timeout_graceful_shutdown=settings.shutdown_timeout,
        )


@contextmanager
def _metrics_dir(workers: int) -> Iterator[None]:
    """Several workers share their metrics through files (prometheus-client's multiprocess
    mode): a fresh folder of our own unless PROMETHEUS_MULTIPROC_DIR names one, whose
    samples of earlier runs are cleared first."""
    import os
    import shutil
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    if workers <= 1:
        yield
        return
    folder = tempfile.mkdtemp(prefix="policy-ledger-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder  # inherited by the workers
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(folder, ignore_errors=True)


@cli.command()
def doctor(as_json: JsonFlag = False) -> None:
    """Check the configuration (secrets masked), the store, its schema and read model
    version, the projection's lag and a read replica; exit 1 when a check fails."""
    from pydantic import ValidationError

    from api.observability import mask
    from projections.doctor import FAIL, Check

    try:
        settings = Settings()
    except ValidationError as error:
        shown: dict[str, Any] = {}
        checks = [Check("configuration", FAIL, mask(str(error)) or "invalid settings")]
    else:
        shown, checks = _masked_settings(settings), _diagnose(settings)
    failed = any(check.status == FAIL for check in checks)
    doc = {"ok": not failed, "settings": shown, "checks": [c.to_json() for c in checks]}
    emit(doc, as_json, lambda _: _doctor_report(shown, checks))
    raise typer.Exit(1 if failed else 0)


def _diagnose(settings: Settings) -> list[Check]:
    """The doctor's checks, from the settings: configuration, tokens, then the store's."""
    from api.bootstrap import open_replica, read_model_env, signing_key_path, store_env
    from api.observability import mask
    from domain.signing import SigningKeyError, load_signer
    from projections.doctor import FAIL, OK, Check, Replica, store_checks

    try:
        env = store_env(settings)
    except ConfigurationError as error:
        return [Check("configuration", FAIL, str(error))]
    checks = [Check("configuration", OK, "settings read; store URL understood"), _tokens(settings)]
    url = settings.read_database_url

    def replica() -> Replica:
        assert url
        replica_env = store_env(settings, url, "POLICY_LEDGER_READ_DATABASE_URL")
        return Replica(replica_env, read_model_env(settings, replica_env), replica_lag)

    def replica_lag(primary: PolicyLedger) -> ReplicaLag:
        assert url
        opened = open_replica(settings, primary, url)
        try:
            return opened.lag()
        finally:
            opened.close()

    view_env = read_model_env(settings, env)
    try:
        signer = load_signer(signing_key_path(settings))
    except SigningKeyError as error:
        return [*checks, Check("signing key", FAIL, str(error))]
    return checks + store_checks(
        env, view_env, settings.ready_max_lag, mask, replica if url else None, signer
    )


def _tokens(settings: Settings) -> Check:
    """The usable tokens of the store and of POLICY_LEDGER_TOKENS, counted by role, read
    without creating anything; a tokens file of an earlier version not yet migrated."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    from api.bootstrap import store_env, token_table
    from domain.application import PolicyLedger
    from projections.doctor import FAIL, WARN, Check, token_check

    env = {**store_env(settings), "CREATE_TABLE": "no"}
    if (
        env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
        and not Path(env["SQLITE_DBNAME"]).exists()
    ):
        return Check("tokens", FAIL, "no store to read them from: run `policy-ledger init`")
    try:
        factory = InfrastructureFactory.construct(Environment(PolicyLedger.name, env))
        try:
            stored = token_table(factory, env).all()
        finally:
            factory.close()
    except Exception as error:  # the store's own checks say more when it is unreachable
        return Check(
            "tokens",
            FAIL,
            f"not read from the store ({type(error).__name__}): run `policy-ledger init`",
        )
    at = now()
    roles = [Role(r.role) for r in stored if r.usable_at(at)] + [e.role for e in settings.tokens]
    by_role = {role.value: roles.count(role) for role in Role}
    check = token_check(by_role, Role.EDITOR.value)
    if settings.tokens_file.exists():
        detail = (
            f"{check.detail}; {settings.tokens_file} is not migrated yet (`policy-ledger init`)"
        )
        return Check("tokens", WARN if check.status != FAIL else FAIL, detail)
    return check


def _masked_url(url: str | None) -> str | None:
    from urllib.parse import urlparse, urlunparse

    if not url:
        return url
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunparse(parts._replace(netloc=netloc))


def _masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting, as the process sees it, with passwords and token hashes left out."""
    shown = settings.model_dump(mode="json")
    shown["database_url"] = _masked_url(settings.database_url)
    shown["read_database_url"] = _masked_url(settings.read_database_url)
    shown["tokens"] = f"{len(settings.tokens)} entries (hashes not shown)"
    return {f"POLICY_LEDGER_{key.upper()}": value for key, value in shown.items()}


def _doctor_report(settings: dict[str, Any], checks: list[Check]) -> Group:
    """The doctor's human form: settings, then one row per check."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from projections.doctor import FAIL, OK, TODO, WARN

    shown = Table(title="settings", show_header=False, title_justify="left")
    for key, value in settings.items():
        shown.add_row(key, escape(json.dumps(value) if not isinstance(value, str) else value))
    found = Table(title="checks", title_justify="left")
    found.add_column("check")
    found.add_column("status")
    found.add_column("detail", overflow="fold")
    colours = {OK: "green", WARN: "yellow", FAIL: "red", TODO: "blue"}
    for check in checks:
        colour = colours[check.status]
        found.add_row(check.name, f"[{colour}]{check.status}[/{colour}]", escape(check.detail))
    return Group(shown, found)


@cli.command("run-projections")
def run_projections(
    poll: Annotated[
        float | None,
        typer.Option(help="Seconds between tries (default: POLICY_LEDGER_PROJECTOR_POLL_SECONDS)."),
    ] = None,
) -> None:
    """Keep the read model caught up. One such process is active per store (a PostgreSQL
    advisory lock; on SQLite a file lock); more wait as standbys and take over when it
    dies. Stops on SIGTERM or Ctrl-C."""
    import logging.config
    import signal
    import threading

    from api.bootstrap import read_model_env, store_env
    from api.observability import log_config
    from projections.projector import Projector, leadership_for

    settings = Settings()
    logging.config.dictConfig(log_config(settings))
    try:
        ledger = build_services(settings)  # may start before the first writer: creates the store
    except ConfigurationError as error:
        raise refused("configuration:", f" {error}") from None
    stop = threading.Event()

    def stopping(*_: object) -> None:
        stop.set()
        ledger.catch_up.stopping.set()  # a catch-up in progress ends after its page

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        env = read_model_env(settings, store_env(settings))
        seconds = settings.projector_poll_seconds if poll is None else poll
        Projector(ledger.catch_up, leadership_for(env, ledger.app), seconds).run(stop)
    finally:
        ledger.close()


@cli.command()
def audit(
    file: Annotated[Path, typer.Argument(help="Decisions as CSV or JSON Lines.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Report: .csv, .jsonl or .html.")
    ] = None,
    review_date: Annotated[
        str | None, typer.Option(help="Review date (YYYY-MM-DD); default: today.")
    ] = None,
    basis: Annotated[
        Basis,
        typer.Option(
            help="What the official could know: the acts published by the decision date, "
            "or the ledger's record when the decision was taken."
        ),
    ] = Basis.PUBLISHED,
) -> None:
    """Audit past decisions under the policy in force on their dates (streams any size).

    Exits 0 when every row was judged, 3 when some rows were rejected (the report lists
    them), 2 on a usage or file error."""
    from projections.audit.judging import Auditor, StoredStates
    from projections.audit.reading import DecisionFileError, read_decisions
    from projections.audit.reports import ReportFormatError, open_report
    from projections.audit.stream import audit_rows

    with opened_ledger() as ledger:
        review = parse_date(review_date, name="--review-date") if review_date else today()
        index = ledger.reads.audit_index()
        auditor = Auditor(StoredStates(index), review, basis=basis.value)
        seal = _seal(ledger, index.position, index.digest, file, output)
        try:
            report = open_report(output, seal, auditor.summary) if output else None
        except (ReportFormatError, OSError) as error:  # the output is at fault: name it
            raise refused(f"{output}:", f" {getattr(error, 'strerror', None) or error}") from None
        try:
            with (
                report if report is not None else nullcontext() as writer,
                _progress(file) as progress,
                batch_collection() as settle,
            ):
                summary = audit_rows(auditor, read_decisions(file), writer, settle(progress))
        except DecisionFileError as error:  # its message names the file
            raise refused(f"{error.path}:", f" {error.message}") from None
        except (BrokenChainError, SealMismatchError) as error:  # verified meanwhile
            raise refused("not audited:", f" {error.detail}", code=1) from None
        except ValueError as error:
            raise refused(f"{file}:", f" {error}") from None
        emit(summary.to_json(), False, render.audit_summary)
        if output:
            console.print(f"Report written to {output}.", soft_wrap=True)
    if summary.rejected:
        raise typer.Exit(ROWS_REJECTED)


ROWS_REJECTED = 3  # the exit of an audit that rejected some rows (the report lists them)
# From this size of decision file on, the log is verified in another process while the
# audit runs (seconds saved on a long one; spawning it costs about a second of CPU).
SEAL_MEANWHILE_BYTES = 4 << 20


def _seal(
    ledger: Services, position: int, digest: str, file: Path, output: Path | None
) -> Seal | Callable[[], Seal]:
    """The seal of the report: verified now, or for a long audit into a report, meanwhile
    (the report asks for it when complete, and is not written if the log does not hold)."""
    if output is not None and file.is_file() and file.stat().st_size >= SEAL_MEANWHILE_BYTES:
        return ledger.verified_seal_later(position, digest)
    return _verified_seal(ledger, position, digest)


def _verified_seal(ledger: Services, position: int, digest: str) -> Seal:
    """The seal of the ledger an audit reads, signed only once the log verifies to its
    digest: exit 1 otherwise."""
    try:
        return ledger.verified_seal(position, digest)
    except (BrokenChainError, SealMismatchError) as error:
        raise refused("not audited:", f" {error.detail}", code=1) from None


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (total: the file's lines), nothing otherwise."""
    if not errors.is_terminal:
        yield lambda line: None
        return
    with file.open("rb") as stream:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("auditing", total=total)
        yield lambda line: progress.update(task, completed=line)
        progress.update(task, completed=total)


token_cli = typer.Typer(no_args_is_help=True, help="API tokens (only their hashes are stored).")
cli.add_typer(token_cli, name="token")


@token_cli.command("create")
def create_token(
    role: Annotated[Role, typer.Option(help="editor, reader or auditor.")],
    subject: Annotated[str, typer.Option(help="Who uses it; recorded as author of writes.")],
    expires: Annotated[
        str | None,
        typer.Option(
            help="When it stops working: a duration (30m, 12h, 90d, 2w), a date (its first "
            "day without it, UTC) or an ISO 8601 timestamp. Default: never."
        ),
    ] = None,
) -> None:
    """Create a token; it is printed once, alone on the last line (only its hash is stored)."""
    from pydantic import ValidationError

    from api.timeparse import parse_expiry

    with _token_table(create=True) as tokens:
        at = now()
        ends = parse_expiry(expires, at, name="--expires") if expires else None
        try:
            token, record = security.create_token(tokens, subject, role, ends, at)
        except ValidationError:
            raise refused("error:", " --subject: give 1 to 200 characters") from None
    until = f", expires {record.expires_at.isoformat()}" if record.expires_at else ""
    errors.print(
        f"Created {'an' if role.value[0] in 'aeiou' else 'a'} {role.value} token for {subject} "
        f"(id {record.token_id}{until}; its hash is in the store).",
        soft_wrap=True,
        markup=False,
    )
    sys.stdout.write(token + "\n")


@token_cli.command("list")
def list_tokens(as_json: JsonFlag = False) -> None:
    """The tokens in the store: id, subject, role, created, expires, state (never a hash)."""
    with _token_table() as tokens:
        at = now()
        doc = [record.to_json(at) for record in tokens.all()]
    emit(doc, as_json, render.token_list, soft_wrap=True)


@token_cli.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `token list` shows it.")],
) -> None:
    """Revoke a token: refused (401) by every server within POLICY_LEDGER_TOKEN_CACHE_SECONDS."""
    with _token_table() as tokens:
        record = tokens.revoke(token_id, now())
    if record is None:
        raise refused("error:", f" no token with id '{token_id}' (see `policy-ledger token list`)")
    assert record.revoked_at is not None
    console.print(
        f"Revoked {record.token_id} ({record.role}, {record.subject}) from "
        f"{record.revoked_at.isoformat()}.",
        soft_wrap=True,
        markup=False,
    )


@contextmanager
def _token_table(create: bool = False) -> Iterator[TokenTable]:
    """The store's token table, the tokens file of an earlier version migrated into it
    (`create`: the store too, where it does not exist yet, as `load` does)."""
    with opened_ledger(create=create) as ledger:
        _migrate_tokens(ledger)
        yield ledger.tokens


def _migrate_tokens(ledger: Services) -> None:
    """The tokens file of an earlier version, read into the store; what happened, said."""
    said = security.migrate_tokens_file(ledger.tokens, ledger.settings.tokens_file)
    if said is not None:
        errors.print(said, soft_wrap=True, markup=False, highlight=False)


def main() -> None:
    cli()
