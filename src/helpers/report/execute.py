"""Run notebooks with papermill on one kernel that is reused across a client's notebooks.

A :class:`KernelSession` belongs to exactly one client: it starts a fresh kernel,
runs that client's notebooks one after another (clearing the user namespace in
between, so a notebook never relies on another's variables) and shuts the kernel
down. Imports stay loaded between notebooks, which is where the time goes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Run once in every fresh kernel and after each namespace reset: stable figure output.
KERNEL_SETUP = """\
import matplotlib as _mpl
_mpl.rcParams["svg.hashsalt"] = "tpkit"
del _mpl
"""
RESET = "get_ipython().reset(new_session=True)\n"


class KernelStartError(RuntimeError):
    """The kernel did not start or died (retried once by the runner)."""


def retryable(exc: BaseException) -> bool:
    """Kernel trouble worth one retry on a fresh kernel (not an error raised by a cell)."""
    import zmq
    from nbclient.exceptions import DeadKernelError

    if isinstance(exc, (zmq.ZMQError, DeadKernelError, KernelStartError)):
        return True
    return isinstance(exc, RuntimeError) and "kernel" in str(exc).lower() and "died" in str(exc).lower()


@dataclass
class KernelSession:
    kernel_name: str = "tpkit"
    cwd: Path | None = None
    startup_timeout: float = 60
    #: run in every fresh kernel and after each reset (stable figures; the report's language)
    setup_code: str = KERNEL_SETUP

    log: Path | None = None  # the kernel's own stdout/stderr go here (kept with a failed notebook)
    #: helpers.progress writes the parts a step is running here (the runner shows them on stderr)
    progress_file: Path | None = None

    def __post_init__(self) -> None:
        self.km = None
        self.used = False
        self._log = None

    def start(self) -> None:
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        env = dict(os.environ)
        env.update({"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        if self.progress_file is not None:
            env["TPKIT_PROGRESS"] = str(self.progress_file)
        env.pop("MPLBACKEND", None)  # the kernel's inline backend renders figures into the notebook
        # asynchronous manager: nbclient then polls kernel liveness while waiting for output,
        # so a kernel that dies mid-cell is noticed at once instead of at the cell timeout
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        if self.log is not None and self._log is None:
            self._log = open(self.log, "ab")
        streams = {"stdout": self._log, "stderr": self._log} if self._log else {}
        try:
            run_sync(km.start_kernel)(cwd=str(self.cwd) if self.cwd else None, env=env, **streams)
            self.km = km
            self._silent(self.setup_code)
        except Exception as exc:
            self.shutdown()
            raise KernelStartError(f"kernel '{self.kernel_name}' did not start: {exc}") from exc
        self.used = False

    def _silent(self, code: str) -> None:
        from jupyter_client import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        # without a manager the client judges liveness by heartbeat alone, whose default 1 s
        # is missed on a loaded machine: the process check is the manager's, done in run()
        kc.hb_channel.time_to_dead = float(self.startup_timeout)
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.startup_timeout)
            reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=self.startup_timeout,
                                           output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise KernelStartError(f"kernel set-up failed: {reply['content'].get('evalue')}")
        finally:
            kc.stop_channels()

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def run(self, input_path: Path, output_path: Path, parameters: dict, timeout: float | None):
        """Execute one notebook; raises papermill's PapermillExecutionError when a cell fails."""
        import papermill as pm
        from jupyter_core.utils import run_sync

        if self.km is None or not run_sync(self.km.is_alive)():
            self.restart()
        elif self.used:
            self._silent(RESET + self.setup_code)
        self.used = True
        return pm.execute_notebook(
            str(input_path), str(output_path), parameters=parameters, kernel_name=self.kernel_name,
            km=self.km, execution_timeout=timeout, progress_bar=False, log_output=False,
            start_timeout=self.startup_timeout,
        )

    def shutdown(self) -> None:
        km, self.km = self.km, None
        if km is None:
            return
        from jupyter_core.utils import run_sync

        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone: nothing left to stop
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:
            pass

    def __enter__(self) -> "KernelSession":
        if self.km is None:  # not started yet (a session started by hand is entered as it is)
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        if self._log is not None:
            self._log.close()
            self._log = None
