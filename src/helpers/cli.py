"""`tpkit`: the command line the Makefile calls.

Errors the user can fix (:class:`~helpers.errors.KitError`) print one short
message and exit with code 2; no traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from helpers import __version__, paths
from helpers.errors import KitError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Customer touchpoint analysis kit.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tpkit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="show the kit's progress messages"),
):
    """Customer touchpoint analysis kit."""
    configure_logging(verbose)


def configure_logging(verbose: bool = False) -> None:
    """The kit's messages (logger ``tpkit``) on stderr: warnings, and progress with ``--verbose``.

    Other libraries' log records (jupyter_client's tracebacks of a kernel that cannot start) are shown
    only with ``--verbose``: the kit reports those failures itself, in one line per client.
    """
    kit = logging.getLogger("tpkit")
    kit.handlers[:] = [logging.StreamHandler(sys.stderr)]
    kit.handlers[0].setFormatter(logging.Formatter("%(message)s"))
    kit.setLevel(logging.INFO if verbose else logging.WARNING)
    kit.propagate = False
    root = logging.getLogger()
    if verbose:
        logging.basicConfig(format="%(name)s: %(message)s", stream=sys.stderr, level=logging.WARNING)
    elif not root.handlers:
        root.addHandler(logging.NullHandler())  # no "last resort" printing of other libraries' records

DEMO_PERIOD = "2026Q3"


def _root(root: Optional[Path]) -> Path:
    return Path(root).resolve() if root else paths.project_root()


@app.command()
def demo(
    events: Optional[int] = typer.Option(None, help="events for the large demo client (default about 1,000,000)"),
    seed: int = typer.Option(None, help="random seed (default: the kit's fixed seed)"),
    reports: bool = typer.Option(False, "--reports/--no-reports", help="also render the demo reports"),
    period: str = typer.Option(DEMO_PERIOD, help="period of the demo reports"),
    root: Optional[Path] = typer.Option(None, help="project folder (default: this repository)"),
):
    """Generate the demo clients' raw exports and client.yml, ingest them, and optionally render reports."""
    from helpers import demo, ingest

    base = _root(root)
    kwargs = {"events": events}
    if seed is not None:
        kwargs["seed"] = seed
    clients = demo.write_demo(base, **kwargs)
    for client in clients:
        result = ingest.ingest_client(client, root=base)
        typer.echo(result.format())
    if reports:
        from helpers import report

        batch = report.build_reports(period, clients=clients, root=base, echo=typer.echo)
        if not batch.ok:
            raise typer.Exit(batch.exit_code)


@app.command("ingest")
def ingest_cmd(client: str, root: Optional[Path] = typer.Option(None, help="project folder")):
    """Validate a client's raw exports and write canonical Parquet to data/CLIENT/processed/."""
    from helpers.config import load_client

    load_client(client, _root(root))  # configuration errors first, before any file is read
    from helpers import ingest

    result = ingest.ingest_client(client, root=_root(root))
    typer.echo(result.format())


@app.command()
def validate(client: str, root: Optional[Path] = typer.Option(None, help="project folder")):
    """Dry run of ingest: print per file what would be accepted and rejected, and why. Writes nothing."""
    from helpers.config import load_client

    load_client(client, _root(root))
    from helpers import ingest

    result = ingest.ingest_client(client, root=_root(root), dry_run=True)
    typer.echo(result.format(details=True))


def _language(language: str | None) -> str | None:
    """``--language`` checked (a clear error naming the allowed languages), None when not given."""
    if language is None:
        return None
    from helpers.i18n import check

    return check(language, where="--language")


@app.command()
def report(
    client: str,
    period: str = typer.Option(..., help="quarter such as 2026Q3 or month such as 2026-09"),
    force: bool = typer.Option(False, help="rebuild even if inputs are unchanged"),
    language: Optional[str] = typer.Option(None, help="report language: da, sv, nb or en (default: client.yml)"),
    pdf: Optional[bool] = typer.Option(None, "--pdf/--no-pdf", help="also write report.pdf (default: client.yml)"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Run the notebooks for one client and period and render reports/CLIENT/PERIOD/report.html."""
    from helpers.periods import Period

    Period.parse(period)
    from helpers import report as rep

    batch = rep.build_reports(period, clients=[client], force=force, root=_root(root), echo=typer.echo,
                              language=_language(language), pdf=pdf)
    if not batch.ok:
        raise typer.Exit(batch.exit_code)


@app.command()
def reports(
    period: str = typer.Option(..., help="quarter such as 2026Q3"),
    force: bool = typer.Option(False, help="rebuild even if inputs are unchanged"),
    jobs: Optional[int] = typer.Option(None, help="clients in parallel (default: number of cores)"),
    language: Optional[str] = typer.Option(None, help="report language for every client: da, sv, nb or en "
                                                      "(default: each client's client.yml)"),
    pdf: Optional[bool] = typer.Option(None, "--pdf/--no-pdf", help="also write report.pdf (default: client.yml)"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Render the reports of every client in data/ for a period; exits non-zero if any client failed."""
    from helpers.periods import Period

    Period.parse(period)
    from helpers import report as rep

    batch = rep.build_reports(period, force=force, jobs=jobs, root=_root(root), echo=typer.echo,
                              language=_language(language), pdf=pdf)
    from helpers.report import portfolio as pf

    index = pf.write(period, root=_root(root), batch=batch, language=_language(language) or "en")
    typer.echo(f"portfolio page: {index}")
    if not batch.ok:
        raise typer.Exit(batch.exit_code)


@app.command()
def portfolio(
    period: str = typer.Option(..., help="quarter such as 2026Q3"),
    language: Optional[str] = typer.Option(None, help="page language: da, sv, nb or en (default: en)"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Rebuild reports/index.html (every client's headline KPIs, change verdicts and report links) from the
    reports already made, without running any notebook."""
    from helpers.periods import Period

    Period.parse(period)
    from helpers.report import portfolio as pf

    index = pf.write(period, root=_root(root), language=_language(language) or "en")
    typer.echo(f"portfolio page: {index}")


def _as_of(value: str | None):
    """``--as-of`` as a date; a clear error for anything else."""
    if value is None:
        return None
    import datetime as dt

    from helpers.errors import ConfigError

    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--as-of '{value}' is not a date", hint="give a date such as 2026-09-30") from None


@app.command("monitor")
def monitor_cmd(
    client: str,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="look at the data up to the end of this date "
                                                               "(YYYY-MM-DD; default: the last day with data)"),
    language: Optional[str] = typer.Option(None, help="language of the table: da, sv, nb or en (default: client.yml)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of the table"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Check the running changes with always-valid intervals: moved, no effect of the planned size, or keep
    collecting (with the date a verdict is expected)."""
    day = _as_of(as_of)
    lang = _language(language)
    from helpers.config import load_client

    load_client(client, _root(root))
    from helpers import monitor

    result = monitor.monitor(client, as_of=day, root=_root(root), language=lang)
    if as_json:
        import json

        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(monitor.format_table(result))


@app.command("new-client")
def new_client(
    name: str,
    display_name: Optional[str] = typer.Option(None, "--name", help="client name shown in reports"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Create data/NAME/ with a commented client.yml template and empty raw/."""
    from helpers.config import write_client_template

    path = write_client_template(name, display_name or name.replace("-", " ").title(), root=_root(root))
    typer.echo(f"Created {path}. Put the client's exports in {path.parent / 'raw'} and edit the file.")


@app.command("add-source")
def add_source(
    client: str,
    file: Path = typer.Argument(..., help="the export: a file in data/CLIENT/raw/ or a path"),
    tool: Optional[str] = typer.Option(None, help="the tool that wrote the file (default: detected)"),
    table: Optional[str] = typer.Option(None, help="the canonical table it feeds (default: the tool's)"),
    touchpoint: Optional[str] = typer.Option(None, help="the touchpoint the responses, reviews or tickets are about"),
    csat: Optional[str] = typer.Option(None, help="the column of the CSAT question (1-5)"),
    nps: Optional[str] = typer.Option(None, help="the column of the likely-to-recommend question (0-10)"),
    date_order: Optional[str] = typer.Option(None, "--date-order", help="DMY or MDY when the dates cannot tell"),
    write: bool = typer.Option(False, "--write", help="add the source entry to client.yml (comments are kept)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of text"),
    root: Optional[Path] = typer.Option(None, help="project folder"),
):
    """Inspect one export: detect its tool, table, encoding, delimiter, header rows, dates and CSAT/NPS
    questions, and print (or --write) its source entry for client.yml."""
    from helpers.config import load_client
    from helpers.ingest import detect

    cfg = load_client(client, _root(root))
    folder = cfg.path.parent
    path, label = detect.resolve_file(folder, file)
    ins = detect.inspect(path, cfg, file=label, tool=tool, table=table, touchpoint=touchpoint, csat=csat, nps=nps,
                         date_order=date_order)
    if as_json:
        typer.echo(detect.dumps(ins.to_json()))
    else:
        typer.echo(ins.format())
        if ins.entries:
            typer.echo("\nsource entry for client.yml:\n" + detect.dump_entries(ins.entries))
    if ins.undecided:
        for u in ins.undecided:
            typer.secho(f"cannot decide: {u.message}: {u.hint}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    if write:
        written = detect.add_entries(cfg.path, ins.entries)
        if not as_json:
            typer.echo(f"added {written} source entr{'y' if written == 1 else 'ies'} to {cfg.path}")


def main(argv: list[str] | None = None) -> int:
    try:
        code = app(args=argv, standalone_mode=False)
    except KitError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("interrupted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            typer.secho(f"error: {exc}", err=True)
        return getattr(exc, "exit_code", 2) or 2
    # with standalone_mode=False click returns the code of a `typer.Exit` instead of raising it
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
