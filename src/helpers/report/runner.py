"""Build client reports: run the notebooks per client and period, render, publish atomically.

:func:`build_reports` reads top to bottom: find and check the notebooks ->
fingerprint each client's inputs and skip unchanged ones -> build the rest in
parallel worker processes (one fresh kernel per client) -> print a summary table.
A failing client keeps its last good report; its failed notebook is written to
``reports/<client>/<period>/failed/`` and the batch exit code is non-zero.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from helpers import i18n, paths
from helpers.errors import ClientNotFoundError, KitError, ParameterError, ReportError
from helpers.periods import Period
from helpers.report import provenance
from helpers.report.provenance import TEMPLATE_DIR

KERNEL = "tpkit"
CELL_TIMEOUT = 900  # seconds per cell
SUMMARY_NOTEBOOK = "00-summary.ipynb"
STEP_GLOB = "0[1-9]-*.ipynb"
CONTRACT = ("client", "period", "root", "artifacts_dir")
ARTIFACTS = "artifacts"  # relative to the kernel's working folder (the client's build folder)
FAILED = "failed"
BUILDING = ".building-"
OWNER = "owner.json"  # in a build folder: the process building it (pid, host, start time)
#: a build folder without its owner file is left alone this long (it may have just been created)
UNOWNED_GRACE = 120.0

log = logging.getLogger("tpkit.report")


# --------------------------------------------------------------------------- results

@dataclass
class ClientResult:
    client: str
    period: str
    status: str  # "built", "skipped" or "failed"
    seconds: float = 0.0
    report: Path | None = None
    failed_notebook: Path | None = None
    error: str = ""


@dataclass
class BatchResult:
    period: str
    results: list[ClientResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)

    @property
    def failed(self) -> list[ClientResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def table(self) -> str:
        rows = [("client", "period", "status", "seconds", "report / failed notebook")]
        for r in self.results:
            where = r.report if r.status != "failed" else (r.failed_notebook or r.error)
            rows.append((r.client, r.period, r.status, f"{r.seconds:.1f}", str(_short(where) if where else "")))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for row in rows:
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
                     row[3].rjust(widths[3]), row[4]]
            lines.append("  ".join(cells))
        for r in self.failed:
            lines.append(f"FAILED {r.client} {r.period}: {r.error}")
        return "\n".join(lines)


def _short(p) -> str:
    if not isinstance(p, Path):
        return str(p)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------- notebooks

def find_notebooks(notebooks_dir: str | Path | None = None, root: Path | None = None) -> tuple[list[Path], Path]:
    """The step notebooks (01-, 02-, ... in order) and the summary notebook."""
    if notebooks_dir is None:
        local = Path(root) / "notebooks" if root else None
        notebooks_dir = local if local and (local / SUMMARY_NOTEBOOK).is_file() else provenance.NOTEBOOK_DIR
    folder = Path(notebooks_dir)
    steps = sorted(folder.glob(STEP_GLOB))
    summary = folder / SUMMARY_NOTEBOOK
    if not steps:
        raise ReportError(f"no step notebooks ({STEP_GLOB}) in {folder}", hint="run from the kit's folder")
    if not summary.is_file():
        raise ReportError(f"the summary notebook {summary} is missing", hint="restore notebooks/00-summary.ipynb")
    return steps, summary


def declared_parameters(notebook: Path) -> dict[str, object]:
    """Names assigned in the notebook's ``parameters`` cell, with their default values.

    The cell is read with Python's own parser (papermill's line parser drops lines whose
    comment holds quotes, such as ``root = ""  # "" = found from the working directory``);
    a cell that is not plain literal assignments falls back to ``papermill.inspect_notebook``.
    """
    import ast

    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))  # plain JSON: nbformat is slow to import
    cells = [c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    source = cells[0].get("source", "")
    try:
        tree = ast.parse("".join(source) if isinstance(source, list) else source)
        out = {}
        for node in tree.body:
            if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                raise ValueError("not an assignment")
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                out[t.id] = ast.literal_eval(node.value) if node.value is not None else None
        return out
    except (SyntaxError, ValueError, AttributeError):
        pass
    import papermill as pm

    try:
        found = pm.inspect_notebook(str(notebook))
    except ValueError as exc:  # no kernelspec / language in the notebook metadata
        raise ParameterError(f"{notebook.name}: its parameters cannot be read ({exc})", file=notebook,
                             hint="keep the parameters cell to literal assignments") from None
    return {name: (None if p.get("default") in ("None", None) else p.get("default")) for name, p in found.items()}


def check_parameters(notebook: Path, given: dict) -> None:
    """Raise :class:`ParameterError` unless ``notebook`` declares every given name and gets
    a value for each parameter it declares without a default (``None``)."""
    declared = declared_parameters(notebook)
    if not declared:
        raise ParameterError(f"{notebook.name} has no cell tagged 'parameters'", file=notebook,
                             hint=f"tag the cell that assigns {', '.join(CONTRACT)} with 'parameters'")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParameterError(f"{notebook.name} does not take the parameter(s) {', '.join(unknown)}", file=notebook,
                             hint=f"its parameters cell declares {', '.join(declared)}; add the missing names "
                                  "or stop passing them")
    missing = sorted(n for n, default in declared.items() if n not in given and default is None)
    if missing:
        raise ParameterError(f"{notebook.name} needs a value for {', '.join(missing)}", file=notebook,
                             hint="pass it to the report runner or give it a default in the parameters cell")


# --------------------------------------------------------------------------- one client

@dataclass(frozen=True)
class Job:
    client: str
    period: str
    root: Path
    steps: tuple[Path, ...]
    summary: Path
    fingerprint: str
    code_hash: str
    code_version: str
    versions: tuple[tuple[str, str], ...]
    parameters: tuple[tuple[str, object], ...] = ()
    kernel_name: str = KERNEL
    timeout: float | None = CELL_TIMEOUT
    template_dir: Path = TEMPLATE_DIR
    #: the report's language and whether a PDF is written; None: as client.yml says
    language: str | None = None
    pdf: bool | None = None

    @property
    def out(self) -> Path:
        return paths.reports_dir(self.client, self.period, self.root)

    def notebook_parameters(self) -> dict:
        return {"client": self.client, "period": self.period, "root": str(self.root), "artifacts_dir": ARTIFACTS,
                **dict(self.parameters)}


def _execute(session, nb_path: Path, out_nb: Path, params: dict, timeout):
    """Run one notebook; restart the kernel and retry once on kernel trouble (ZMQ error, dead kernel)."""
    from helpers.report.execute import retryable

    try:
        return session.run(nb_path, out_nb, params, timeout)
    except Exception as exc:
        if not retryable(exc):
            raise
        session.restart()
        return session.run(nb_path, out_nb, params, timeout)


def _start(session) -> None:
    """Start the kernel; once more on failure (a loaded machine), then :class:`KernelStartError` stands."""
    from helpers.report.execute import KernelStartError

    try:
        session.start()
    except KernelStartError as exc:
        log.info("kernel did not start (%s); trying once more", exc)
        session.start()


def _describe_failure(nb_path: Path, exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", "?")
        return f"{nb_path.name} failed at cell [{cell}]: {ename}: {getattr(exc, 'evalue', '')}".rstrip(": ")
    return f"{nb_path.name} failed: {type(exc).__name__}: {exc}"


def kernel_failure(kernel_name: str, exc: BaseException) -> str:
    """One line for a kernel that cannot start: what failed and what to do."""
    cause = exc.__cause__ or exc
    detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return (f"the notebook kernel '{kernel_name}' could not start ({type(cause).__name__}: {detail}); "
            f"run `make setup` to register it, or `jupyter kernelspec list` to see the installed kernels")


def _keep_failed(job: Job, nb_path: Path, out_nb: Path, message: str, log: Path | None = None) -> Path:
    """Put the failed notebook (with its error), the error line and the kernel's log in
    reports/<client>/<period>/failed/."""
    folder = job.out / FAILED
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / nb_path.name
    shutil.copyfile(out_nb if out_nb.is_file() else nb_path, target)
    (folder / "error.txt").write_text(message + "\n", encoding="utf-8")
    if log is not None and log.is_file() and log.stat().st_size:
        shutil.copyfile(log, folder / "kernel.log")
    return target


def _publish(tmp: Path, out: Path) -> None:
    """Move a finished build into place: folders by rename, report.html and run.json by atomic replace."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("notebooks", ARTIFACTS):
        src, dst, old = tmp / name, out / name, out / f".{name}.old"
        if not src.exists():
            continue
        shutil.rmtree(old, ignore_errors=True)
        if dst.exists():
            dst.rename(old)
        src.rename(dst)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(tmp / "report.html", out / "report.html")
    if (tmp / "report.pdf").is_file():
        os.replace(tmp / "report.pdf", out / "report.pdf")
    else:
        (out / "report.pdf").unlink(missing_ok=True)  # a PDF of an older build would not match the report
    os.replace(tmp / "run.json", out / "run.json")  # last: it marks the build as complete
    shutil.rmtree(out / FAILED, ignore_errors=True)


def _watch(say: Callable[[str], None] | None, prefix: str, path: Path):
    """Follow the kernel's progress file in a thread while a notebook runs; returns the stop function."""
    import threading

    from helpers import progress as prog

    if say is None:
        return lambda: None
    done = threading.Event()
    offset = path.stat().st_size if path.exists() else 0

    def run() -> None:
        nonlocal offset
        while True:
            stopping = done.wait(0.5)
            lines, offset = prog.follow(path, offset)
            for line in lines:
                say(f"{prefix}: {line}")
            if stopping:
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join(timeout=5)

    return stop


def build_client(job: Job, progress: Callable[[str, str], None] | None = None,
                 status: Callable[[str], None] | None = None) -> ClientResult:
    """Execute, render and publish one client's report (runs inside a worker process).

    ``status`` gets one line per notebook started and finished (client, step, elapsed time) and the
    parts a step announces with :func:`helpers.progress.part`; none of it reaches the report."""
    from helpers.config import load_client
    from helpers.report.execute import KERNEL_SETUP, KernelSession, KernelStartError
    from helpers.report.render import clean_notebook

    started = time.perf_counter()
    out = job.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_build_dir(out.parent, job.period)
    result = ClientResult(job.client, job.period, "failed")
    try:
        try:
            cfg = load_client(job.client, job.root)
        except KitError as exc:
            result.error = str(exc)
            log.error("%s %s: %s", job.client, job.period, result.error)
            return result
        params = job.notebook_parameters()
        language = i18n.check(job.language or cfg.language)
        (tmp / "notebooks").mkdir()
        executed, timings = [], {}
        session = KernelSession(job.kernel_name, cwd=tmp, log=tmp / "kernel.log", progress_file=tmp / "progress.log")
        # every word the notebooks show is in the report's language
        session.setup_code = KERNEL_SETUP + f"import helpers.i18n as _i18n\n_i18n.activate({language!r})\ndel _i18n\n"
        try:
            _start(session)
        except KernelStartError as exc:
            session.__exit__(None, None, None)
            result.error = kernel_failure(job.kernel_name, exc)
            log.error("%s %s: %s", job.client, job.period, result.error)
            return result
        with session:  # started above: the with statement shuts it down
            for nb_path in (*job.steps, job.summary):
                out_nb = tmp / "notebooks" / nb_path.name
                t0 = time.perf_counter()
                prefix = f"{job.client} {job.period} {nb_path.stem}"
                if status:
                    status(f"{prefix}: started ({time.perf_counter() - started:.0f} s into the report)")
                stop = _watch(status, prefix, tmp / "progress.log")
                try:
                    nb = _execute(session, nb_path, out_nb, params, job.timeout)
                except Exception as exc:
                    stop()
                    result.error = (kernel_failure(job.kernel_name, exc) if isinstance(exc, KernelStartError)
                                    else _describe_failure(nb_path, exc))
                    result.failed_notebook = _keep_failed(job, nb_path, out_nb, result.error, tmp / "kernel.log")
                    log.error("%s %s: %s", job.client, job.period, result.error)
                    return result
                stop()
                timings[nb_path.name] = round(time.perf_counter() - t0, 2)
                if status:
                    status(f"{prefix}: done in {timings[nb_path.name]:.1f} s")
                executed.append((nb_path, clean_notebook(nb, prefix=nb_path.stem)))
                if progress:
                    progress(job.client, nb_path.name)
        with i18n.using(language):
            html = render_client(job, cfg, executed)
        import nbformat

        for nb_path, nb in executed:
            nbformat.write(nb, tmp / "notebooks" / nb_path.name)
        (tmp / "report.html").write_text(html, encoding="utf-8")
        if job.pdf if job.pdf is not None else cfg.pdf:
            from helpers.report.browser import print_pdf

            try:
                print_pdf(tmp / "report.html", tmp / "report.pdf")
            except KitError as exc:
                result.error = f"report.pdf: {exc}"
                log.error("%s %s: %s", job.client, job.period, result.error)
                return result
        result.seconds = round(time.perf_counter() - started, 2)
        run = {"client": job.client, "period": job.period, "inputs": job.fingerprint,
               "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "seconds": result.seconds, "notebooks": timings, "kernel": job.kernel_name,
               "code_version": job.code_version}
        (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
        _publish(tmp, out)
        result.status, result.report = "built", out / "report.html"
        return result
    finally:
        result.seconds = round(time.perf_counter() - started, 2)
        shutil.rmtree(tmp, ignore_errors=True)


def render_client(job: Job, cfg, executed: list) -> str:
    from helpers.report.appendix import appendix_html
    from helpers.report.render import add_appendix, combine, frame_words, render_html

    period = Period.parse(job.period)
    summary = [(p.stem, nb) for p, nb in executed if p.name == SUMMARY_NOTEBOOK]
    steps = [(p.stem, nb) for p, nb in executed if p.name != SUMMARY_NOTEBOOK]
    appendix, appendix_toc = appendix_html(job, cfg)
    title = frame_words(cfg.name, period.label)["title"]
    nb, toc = combine(summary + steps, title=title)
    add_appendix(nb, toc, appendix, appendix_toc)
    logo = (cfg.dir / cfg.branding.logo) if cfg.branding.logo else None
    # Translators: the period on the cover, e.g. "1 Jul 2026 to 30 Sep 2026"
    span = i18n._("{start} to {end}").format(start=i18n.fmt_date(period.start, form="medium"),
                                            end=i18n.fmt_date(period.last_day, form="medium"))
    # Translators: the report's footer; {fingerprint} identifies the inputs the report was built from
    footer = i18n._("Inputs {fingerprint}").format(fingerprint=job.fingerprint[:12])
    return render_html(nb, toc, client_name=cfg.name, period_label=period.label, period_span=span,
                       colour=cfg.branding.colour, logo=logo, footer=footer, template_dir=job.template_dir,
                       language=i18n.active())


# --------------------------------------------------------------------------- the batch

_QUEUE = None


def _init_worker(queue, level: int = logging.WARNING) -> None:
    """A worker process: progress goes back through ``queue``; the kit's log records to stderr at the
    parent's level, other libraries' records nowhere (the parent reports each failure in one line)."""
    global _QUEUE
    _QUEUE = queue
    os.environ.setdefault("MPLBACKEND", "Agg")
    kit = logging.getLogger("tpkit")
    kit.handlers[:] = [logging.StreamHandler(sys.stderr)]
    kit.setLevel(level)
    kit.propagate = False
    logging.getLogger().addHandler(logging.NullHandler())


def _worker(job: Job, say: bool = True) -> ClientResult:
    def progress(client: str, notebook: str) -> None:
        if _QUEUE is not None:
            _QUEUE.put((client, notebook))

    def status(line: str) -> None:
        if _QUEUE is not None:
            _QUEUE.put(("status", line))

    return build_client(job, progress, status if say else None)


def _is_current(job: Job) -> bool:
    run, report = job.out / "run.json", job.out / "report.html"
    if not (run.is_file() and report.is_file()):
        return False
    try:
        return json.loads(run.read_text(encoding="utf-8")).get("inputs") == job.fingerprint
    except (OSError, ValueError):
        return False


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of stat, counted after the command name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def make_build_dir(parent: Path, period: str) -> Path:
    """A fresh ``.PERIOD.building-*`` folder owned by this process (its pid recorded in ``owner.json``)."""
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{period}{BUILDING}", dir=parent))
    pid = os.getpid()
    owner = {"pid": pid, "host": socket.gethostname(), "started": _process_start(pid)}
    (tmp / OWNER).write_text(json.dumps(owner) + "\n", encoding="utf-8")
    return tmp


def is_stale(folder: Path) -> bool:
    """True when the process that created the build folder is gone (killed, crashed, machine restarted).

    A folder of another machine (a shared disk) is never judged; a folder without its owner file is stale
    only after :data:`UNOWNED_GRACE` seconds (its creator writes the file right after creating it).
    """
    try:
        owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNOWNED_GRACE
        except OSError:
            return False
    except (OSError, ValueError):
        return True  # an unreadable owner file: written by a process killed while writing it
    if owner.get("host") != socket.gethostname():
        return False
    pid = int(owner.get("pid", 0))
    if pid <= 0 or not _alive(pid):
        return True
    started = owner.get("started")
    return started is not None and _process_start(pid) not in (None, started)  # the pid was reused


def remove_stale(parent: Path, period: str) -> list[Path]:
    """Remove the build folders of ``period`` under ``parent`` left by runs that are gone; a build still
    running (in another process) keeps its folder. Returns the removed folders."""
    removed = []
    if parent.is_dir():
        for folder in sorted(parent.glob(f".{period}{BUILDING}*")):
            if folder.is_dir() and is_stale(folder):
                shutil.rmtree(folder, ignore_errors=True)
                log.info("removed %s, left by a run that stopped", folder)
                removed.append(folder)
    return removed


def plan(period: str, clients: list[str] | None = None, *, root: str | Path | None = None,
         notebooks_dir: str | Path | None = None, parameters: dict | None = None, kernel_name: str = KERNEL,
         timeout: float | None = CELL_TIMEOUT, template_dir: Path = TEMPLATE_DIR, language: str | None = None,
         pdf: bool | None = None) -> list[Job]:
    """One :class:`Job` per client, with notebooks checked and inputs fingerprinted (no kernel started).

    ``language`` and ``pdf`` override client.yml's ``language`` and ``pdf`` for every client.
    """
    language = i18n.check(language) if language else None
    label = Period.parse(period).label
    root = Path(root).resolve() if root else paths.project_root()
    names = list(clients) if clients else paths.list_clients(root)
    if not names:
        raise ReportError(f"no clients in {paths.data_root(root)}", hint="run `make demo` or `tpkit new-client NAME`")
    for name in names:
        if not (paths.client_dir(name, root) / "client.yml").is_file():
            known = paths.list_clients(root)
            raise ClientNotFoundError(f"no client '{name}' in {paths.data_root(root)}",
                                      hint=("known clients: " + ", ".join(known)) if known else "run `make demo`")
    steps, summary = find_notebooks(notebooks_dir, root)
    extra = dict(parameters or {})
    given = {n: None for n in CONTRACT} | extra
    for nb in (*steps, summary):
        check_parameters(nb, given)
    code = provenance.code_hash(template_dir)
    versions = provenance.package_versions()
    version = provenance.code_version()
    jobs = []
    for name in names:
        fp = provenance.fingerprint(name, label, root, [*steps, summary],
                                    code + str(sorted(extra.items())) + kernel_name + f"{language}{pdf}", versions)
        jobs.append(Job(name, label, root, tuple(steps), summary, fp, code, version, tuple(versions.items()),
                        tuple(sorted(extra.items())), kernel_name, timeout, template_dir, language, pdf))
    return jobs


def build_reports(period: str, clients: list[str] | None = None, force: bool = False, jobs: int | None = None,
                  root: str | Path | None = None, *, notebooks_dir: str | Path | None = None,
                  parameters: dict | None = None, kernel_name: str = KERNEL, timeout: float | None = CELL_TIMEOUT,
                  progress: bool = True, echo: Callable[[str], None] | None = None, language: str | None = None,
                  pdf: bool | None = None) -> BatchResult:
    """Build reports/<client>/<period>/report.html for each client (all clients in data/ when None).

    Each report speaks its client's ``language`` from client.yml unless ``language`` is given, and
    gets a ``report.pdf`` beside it when ``pdf`` (or client.yml's ``pdf: true``) says so.

    Unchanged clients are skipped unless ``force``. Clients run in parallel in up to ``jobs``
    processes (default: number of cores). Returns a :class:`BatchResult`; ``exit_code`` is 1
    when any client failed. The summary table goes to ``echo`` (the CLI prints it), else to the
    ``tpkit.report`` logger. Raises :class:`ParameterError` when a notebook's parameters do
    not match and :class:`ClientNotFoundError` for an unknown client.
    """
    todo = plan(period, clients, root=root, notebooks_dir=notebooks_dir, parameters=parameters,
                kernel_name=kernel_name, timeout=timeout, language=language, pdf=pdf)
    batch = BatchResult(todo[0].period)
    results: dict[str, ClientResult] = {}
    building = []
    for job in todo:
        remove_stale(job.out.parent, job.period)
        if not force and _is_current(job):
            results[job.client] = ClientResult(job.client, job.period, "skipped", 0.0, job.out / "report.html")
        else:
            building.append(job)
    if building:
        results.update(_run_jobs(building, jobs, progress))
    batch.results = [results[j.client] for j in todo]
    say = echo or log.info
    say(batch.table())
    for r in batch.results:
        if r.report:
            say(f"Open {r.client}'s report: {r.report.resolve().as_uri()}")
    return batch


def _run_jobs(jobs_: list[Job], jobs: int | None, progress: bool) -> dict[str, ClientResult]:
    from tqdm import tqdm

    total = sum(len(j.steps) + 1 for j in jobs_)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(jobs_)))
    bar = tqdm(total=total, desc="reports", unit="notebook", disable=not progress, file=sys.stderr, leave=False)

    def say(line: str) -> None:  # a line above the bar, on stderr
        bar.write(line, file=sys.stderr)
    try:
        if workers == 1:
            out = {}
            for job in jobs_:  # in this process: an interrupt unwinds through build_client's clean-up
                out[job.client] = build_client(job, lambda c, n: bar.update(1), say if progress else None)
            return out
        return _run_parallel(jobs_, workers, bar, progress)
    finally:
        bar.close()


def _run_parallel(jobs_: list[Job], workers: int, bar, say: bool = True) -> dict[str, ClientResult]:
    import multiprocessing as mp
    import threading
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()

    def pump() -> None:
        while (item := queue.get()) is not None:
            if item[0] == "status":
                bar.write(item[1], file=sys.stderr)
            else:
                bar.update(1)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    level = logging.getLogger("tpkit").getEffectiveLevel()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(queue, level))
    futures = {pool.submit(_worker, job, say): job for job in jobs_}
    out: dict[str, ClientResult] = {}
    try:
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                out[job.client] = fut.result()
            except Exception as exc:  # a worker died (killed, out of memory): that client fails, others go on
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                out[job.client] = ClientResult(job.client, job.period, "failed",
                                               error=f"the worker process stopped ({type(exc).__name__}"
                                                     f"{': ' + detail if detail else ''})")
                log.error("%s %s: %s", job.client, job.period, out[job.client].error)
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + 10
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
        for job in jobs_:
            remove_stale(job.out.parent, job.period)
        raise
    finally:
        queue.put(None)
        reader.join(timeout=5)
    return out
