"""One exception hierarchy for everything a user can cause.

Every message says what is wrong *and what to fix*. The CLI turns a
:class:`KitError` into a short message on stderr and exit code 2, without a
traceback; anything else is a bug in the kit and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class KitError(Exception):
    """Base class of errors the user can fix.

    Structured fields (``file``, ``row``, ``column``) are kept so callers can
    show or collect them; ``str(err)`` is the full, human-readable message.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"\n  How to fix: {self.hint}"
        return text


class PeriodError(KitError):
    """A period string the kit does not understand."""


class ConfigError(KitError):
    """client.yml is missing, is not valid YAML, or fails validation."""


class ClientNotFoundError(ConfigError):
    """No data/<client>/client.yml for the requested client."""


class DataError(KitError):
    """An input file or table cannot be used as it is."""


class SchemaError(DataError):
    """Rows of a table break the canonical schema."""


class EngineError(KitError):
    """The configured compute engine cannot be started or is unknown."""


class ParameterError(KitError):
    """Notebook parameters are unknown or missing."""


class ReportError(KitError):
    """One or more client reports failed to build."""


@dataclass
class Problem:
    """One rejected row or cell: where it is and why, for rejects files and summaries."""

    file: str
    row: int | None
    column: str | None
    reason: str
    extra: dict = field(default_factory=dict)
