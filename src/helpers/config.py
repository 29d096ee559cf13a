"""Client configuration: ``data/<client>/client.yml`` as validated pydantic models.

>>> cfg = load_client("nordlys")
>>> cfg.touchpoint_ids[:3]

A missing file, broken YAML or an invalid field raises :class:`ConfigError`
naming the file and the field (``touchpoints[3].stage``) and what is accepted.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
import typing
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from helpers import paths
from helpers.errors import ClientNotFoundError, ConfigError

STAGES = ("awareness", "consideration", "decision", "retention")
STAGE_PHASE = {
    "awareness": "before purchase",
    "consideration": "before purchase",
    "decision": "during purchase",
    "retention": "after purchase",
}
KINDS = ("physical", "digital")
SOURCES = ("events", "feedback", "orders", "reviews", "interviews")
TABLES = ("events", "feedback", "orders", "reviews", "costs")
KPIS = ("csat", "nps", "conversion", "revenue", "top2box", "ces", "volume")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Touchpoint(_Model):
    id: str
    name: str
    kind: Literal["physical", "digital"]
    stage: Literal["awareness", "consideration", "decision", "retention"]
    owner: str = "unassigned"
    sources: tuple[Literal["events", "feedback", "orders", "reviews", "interviews"], ...] = ("events",)
    effort: float | None = Field(default=None, ge=1, le=5,
                                 description="optional implementation effort, 1 (easy) to 5 (hard)")
    description: str = ""

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("use lower-case letters, digits, '_' or '-' (for example 'checkout' or 'search_ads')")
        return v

    @property
    def phase(self) -> str:
        return STAGE_PHASE[self.stage]


class SourceMapping(_Model):
    """How one raw export maps to a canonical table.

    ``columns`` maps canonical column -> column name in the raw file.
    ``adapter`` names the reader (``canonical`` for files already in the
    canonical shape; format-specific adapters such as ``ga4`` add their own options);
    ``tool`` names a tool preset (``qualtrics``, ``shopify``, ...) and then decides the adapter.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    table: Literal["events", "feedback", "orders", "reviews", "costs"]
    file: str
    adapter: str = "canonical"
    tool: str | None = None
    format: Literal["auto", "csv", "parquet", "jsonl", "xlsx"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    date_format: str | None = None
    #: day/month order of this file's dates when the values cannot prove it (DMY, MDY or YMD)
    date_order: Literal["DMY", "MDY", "YMD"] | None = None
    #: False for a CSV file without a header row; ``names`` then gives the columns
    header: bool = True
    names: tuple[str, ...] | None = None
    #: rows of header (Qualtrics: 3); the column names are in the first
    header_rows: int = Field(1, ge=1, le=10)
    #: data rows to skip after the header (a units row, a second title)
    skip_rows: int = Field(0, ge=0)

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"'{v}' is not a text encoding Python knows; give for example utf-8, "
                                 "utf-8-sig, cp1252 or latin-1") from None
        return v

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"give one character (such as \",\", \";\", \"|\" or \"\\t\"), not {v!r}")
        return v

    @field_validator("decimal")
    @classmethod
    def _decimal(cls, v: str | None) -> str | None:
        if v is not None and v not in (",", "."):
            raise ValueError(f"the decimal separator is \",\" or \".\", not {v!r}")
        return v

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is not None and "%" not in v:
            raise ValueError(f"{v!r} is not a strftime format; write it as for example \"%d-%m-%Y %H:%M\"")
        return v

    @field_validator("columns")
    @classmethod
    def _column_names(cls, v: dict[str, str]) -> dict[str, str]:
        blank = [k for k, raw in v.items() if not str(raw).strip()]
        if blank:
            raise ValueError(f"the column mapped to '{blank[0]}' is empty: name the column of the file")
        return v

    @model_validator(mode="after")
    def _header_names(self):
        if not self.header and not self.names:
            raise ValueError("`header: false` needs `names:` (the column names, in file order)")
        if self.header and self.names:
            raise ValueError("`names:` is for a file without a header row: add `header: false` or remove `names:`")
        if self.tool and "adapter" in self.model_fields_set:
            raise ValueError(f"`tool: {self.tool}` decides how the file is read, so `adapter: {self.adapter}` "
                             "conflicts with it; remove `adapter:`")
        repeated = sorted({n for n in self.names or () if list(self.names or ()).count(n) > 1})
        if repeated:
            raise ValueError(f"`names:` repeats {', '.join(repr(n) for n in repeated)}: give each column its own name")
        if not self.header and self.header_rows != 1:
            raise ValueError("`header: false` (no header row) conflicts with `header_rows:`; remove one of them")
        if self.format in ("parquet", "jsonl") and (self.delimiter or self.encoding or self.decimal):
            given = ", ".join(f"`{k}`" for k in ("delimiter", "encoding", "decimal") if getattr(self, k))
            raise ValueError(f"{given} apply to CSV files, not to `format: {self.format}`; remove {given}")
        return self


class Control(_Model):
    touchpoints: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()


class Change(_Model):
    id: str
    touchpoint: str
    description: str
    start: dt.date
    end: dt.date | None = None
    kpis: tuple[Literal["csat", "nps", "conversion", "revenue", "top2box", "ces", "volume"], ...]
    expected_direction: Literal["up", "down"] = "up"
    control: Control | None = None
    ab_column: str | None = Field(default=None, description="column of events/feedback holding the A/B variant")
    treated_segments: tuple[str, ...] = ()
    # A/B test design (issue 13): which variant is the control, and the planned share of each variant
    control_variant: str | None = Field(default=None, description="the A/B variant that is the control")
    split: dict[str, float] | None = Field(default=None, description="planned share of each A/B variant "
                                           "(equal by default), checked for a sample-ratio mismatch")
    expected_effect: dict[str, float] | None = Field(
        default=None, description="planned effect per KPI in the KPI's own unit (conversion 0.03 = 3 pp, csat 0.3 "
        "points), the size `tpkit monitor` and the verdicts' power wording test for")

    @model_validator(mode="after")
    def _effects_of_listed_kpis(self):
        for kpi, size in (self.expected_effect or {}).items():
            if kpi not in self.kpis:
                raise ValueError(f"expected_effect names {kpi!r}, which is not in this change's kpis "
                                 f"({', '.join(self.kpis)}): add it to kpis or remove it from expected_effect")
            if not (size > 0):
                raise ValueError(f"expected_effect of {kpi!r} must be a positive size in the KPI's unit "
                                 "(the direction is expected_direction)")
        return self

    @field_validator("split")
    @classmethod
    def _split_shares(cls, v):
        if v is not None and (len(v) < 2 or any(not (s > 0) for s in v.values())):
            raise ValueError("give each A/B variant a positive share, for example {A: 50, B: 50}")
        return v

    @field_validator("kpis")
    @classmethod
    def _some_kpi(cls, v):
        if not v:
            raise ValueError("list at least one KPI the change should move")
        return v


class Branding(_Model):
    colour: str = "#1f4e79"
    logo: str | None = None

    @field_validator("colour")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError("give a hex colour such as '#1f4e79'")
        return v


class PriorityWeights(_Model):
    experience: float = Field(0.4, ge=0)
    sales: float = Field(0.4, ge=0)
    reach: float = Field(0.2, ge=0)
    effort: float = Field(0.0, ge=0)
    #: weight of the share of a touchpoint's customer texts with a complaint theme (used when there are texts)
    complaints: float = Field(0.2, ge=0)

    @model_validator(mode="after")
    def _some_weight(self):
        if self.experience + self.sales + self.reach == 0:
            raise ValueError("experience, sales and reach are all 0: give at least one of them a weight")
        return self


# ---- engine: Spark cluster and storage of processed tables -------------------------------------

#: URI schemes ``storage:`` accepts (a path without a scheme is a folder relative to the client's folder)
STORAGE_SCHEMES = ("file", "s3a", "abfss", "gs", "hdfs")
_MASTER = re.compile(r"^(local(\[(\*|[1-9][0-9]*)(,[1-9][0-9]*)?\])?|yarn|spark://[^/\s]+:[0-9]+(,[^/\s]+:[0-9]+)*"
                     r"|k8s://https?://\S+)$")
_REMOTE = re.compile(r"^sc://[^/\s:]+(:[0-9]+)?(/;\S*)?$")
#: conf keys whose value is a secret: only an environment reference (``${NAME}``) is accepted
_SECRET_WORDS = ("secret", "password", "token", "access.key", "account.key", "credential", "sas")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_secret_key(key: str) -> bool:
    low = key.lower()
    return any(word in low for word in _SECRET_WORDS)


class SparkSettings(_Model):
    """``spark:`` in client.yml: where the pyspark engine runs.

    ``master`` is a cluster manager (``local[N]``, ``spark://HOST:PORT``, ``yarn``, ``k8s://https://...``);
    ``remote`` a Spark Connect endpoint (``sc://HOST:PORT``); give one of them, not both (neither: ``local[*]``).
    ``conf`` holds Spark properties; a secret's value is an environment reference such as
    ``${AWS_SECRET_ACCESS_KEY}``, read when the session starts, never the secret itself.
    """

    master: str | None = None
    remote: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("master")
    @classmethod
    def _master(cls, v: str | None) -> str | None:
        if v is not None and not _MASTER.match(v):
            raise ValueError(f"'{v}' is not a Spark master; give local[N] (for example local[4]), "
                             "spark://HOST:PORT, yarn or k8s://https://HOST:PORT")
        return v

    @field_validator("remote")
    @classmethod
    def _remote(cls, v: str | None) -> str | None:
        if v is not None and not _REMOTE.match(v):
            raise ValueError(f"'{v}' is not a Spark Connect address; give sc://HOST:PORT (for example "
                             "sc://spark.example.com:15002)")
        if v is not None and re.search(r";token=(?!\$\{)", v):
            raise ValueError("the address holds a token: do not write it in client.yml; write ';token=${NAME}' "
                             "and set the environment variable NAME where the report runs")
        return v

    @field_validator("conf")
    @classmethod
    def _conf(cls, v: dict) -> dict:
        for key, value in v.items():
            if not str(key).startswith("spark."):
                raise ValueError(f"conf key '{key}' is not a Spark property; Spark properties start with 'spark.' "
                                 "(for example spark.executor.memory)")
            if is_secret_key(str(key)) and not (isinstance(value, str) and _ENV_REF.fullmatch(value.strip())):
                raise ValueError(f"conf key '{key}' holds a secret: do not write it in client.yml; write "
                                 f"'${{NAME}}' and set the environment variable NAME where the report runs")
            if str(key) == "spark.sql.session.timeZone" and str(value) != "UTC":
                raise ValueError("spark.sql.session.timeZone must stay UTC (the processed tables are in UTC); "
                                 "remove it from conf")
        return v

    @model_validator(mode="after")
    def _one_target(self):
        if self.master is not None and self.remote is not None:
            raise ValueError("give either `master` (a cluster manager) or `remote` (a Spark Connect endpoint), "
                             "not both")
        return self

    def resolved_remote(self) -> str | None:
        """``remote`` with every ``${NAME}`` replaced by the environment variable NAME."""
        if self.remote is None:
            return None
        return _resolve_env(self.remote, "spark.remote")

    def resolved_conf(self) -> dict[str, str]:
        """``conf`` with every ``${NAME}`` replaced by the environment variable NAME (ConfigError when unset)."""
        return {key: _resolve_env(str(value).lower() if isinstance(value, bool) else str(value),
                                  f"spark.conf '{key}'") for key, value in self.conf.items()}


def _resolve_env(text: str, where: str) -> str:
    import os

    def env(match):
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{where} refers to the environment variable {name}, which is not set",
                              hint=f"set {name} before running the report")
        return os.environ[name]

    return _ENV_REF.sub(env, text)


def storage_scheme(uri: str) -> str | None:
    """The scheme of a ``storage:`` value (None for a plain path)."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", uri)
    return m.group(1).lower() if m else None



class ClientConfig(_Model):
    client_id: str
    name: str
    timezone: str = "UTC"
    currency: str = "EUR"
    language: str = "en"
    #: write report.pdf beside report.html (headless Chromium)
    pdf: bool = False
    engine: Literal["duckdb", "pyspark"] = "duckdb"
    #: where the pyspark engine runs (master or Spark Connect remote, Spark properties)
    spark: SparkSettings | None = None
    #: where ingest writes the processed tables and every reader reads them (default: processed/)
    storage: str | None = None
    first_period: str | None = None
    branding: Branding = Branding()
    touchpoints: tuple[Touchpoint, ...]
    sources: tuple[SourceMapping, ...] = ()
    changes: tuple[Change, ...] = ()
    priority_weights: PriorityWeights = PriorityWeights()
    segments: tuple[str, ...] = ()
    survey_overall: Literal["nps", "csat"] = "nps"

    # set by load_client, not read from YAML
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("give an IANA time zone such as 'Europe/Copenhagen'") from None
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        from helpers.i18n import LANGUAGES, check

        try:
            check(v)
        except ConfigError:
            country = {"dk": "da", "se": "sv", "nn": "nb", "gb": "en", "uk": "en", "us": "en"}
            near = f" (did you mean '{country[v.lower()]}'?)" if v.lower() in country else _did_you_mean(v, LANGUAGES)
            raise ValueError(f"'{v}' is not a report language{near}; allowed values: "
                             f"{', '.join(LANGUAGES)} (da Danish, sv Swedish, nb Norwegian Bokmål)") from None
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        from babel.numbers import list_currencies

        if v not in list_currencies():
            hint = _did_you_mean(v.upper(), sorted(list_currencies()))
            raise ValueError(f"'{v}' is not an ISO 4217 currency code{hint}; give for example DKK, SEK, NOK or EUR")
        return v

    @field_validator("storage")
    @classmethod
    def _storage(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.strip():
            raise ValueError("give a folder or a URI such as s3a://bucket/tpkit/client, or remove `storage:`")
        scheme = storage_scheme(v)
        if scheme is not None and scheme not in STORAGE_SCHEMES:
            near = " (did you mean 's3a'?)" if scheme in ("s3", "s3n") else _did_you_mean(scheme, STORAGE_SCHEMES)
            raise ValueError(f"'{scheme}://' is not a storage the kit reads{near}; give a folder or a URI with "
                             f"one of {', '.join(s + '://' for s in STORAGE_SCHEMES)}")
        if scheme is not None and not re.match(r"^[^:]+://[^/\s]*/?\S*$", v):
            raise ValueError(f"'{v}' is not a valid URI")
        if scheme == "file" and not v.startswith("file:///"):
            raise ValueError(f"'{v}' is not an absolute file URI; write file:///absolute/folder")
        if scheme not in (None, "file") and not re.match(r"^[^:]+://[^/\s]+", v):
            raise ValueError(f"'{v}' names no bucket, container or host after '{scheme}://'")
        return v.rstrip("/") if scheme not in (None, "file") or len(v) > 1 else v

    @field_validator("first_period")
    @classmethod
    def _period(cls, v):
        if v is not None:
            from helpers.errors import PeriodError
            from helpers.periods import ACCEPTED_FORMS, Period

            try:
                Period.parse(v)
            except PeriodError:
                raise ValueError(f"'{v}' is not a period; give {ACCEPTED_FORMS}") from None
        return v

    @model_validator(mode="after")
    def _cross_checks(self):
        ids = [t.id for t in self.touchpoints]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"touchpoint ids must be unique; repeated: {', '.join(dupes)}")
        known = set(ids)
        for i, ch in enumerate(self.changes):
            if ch.touchpoint not in known:
                raise ValueError(f"changes[{i}].touchpoint '{ch.touchpoint}' is not in the touchpoint catalogue")
            for tp in ch.control.touchpoints if ch.control else ():
                if tp not in known:
                    raise ValueError(f"changes[{i}].control.touchpoints: '{tp}' is not in the touchpoint catalogue")
            if ch.end is not None and ch.end < ch.start:
                raise ValueError(f"changes[{i}].end {ch.end} is before its start {ch.start}")
            if ch.control and ch.touchpoint in ch.control.touchpoints:
                raise ValueError(f"changes[{i}].control.touchpoints: '{ch.touchpoint}' is the changed touchpoint "
                                 "itself and cannot be its own control")
            ab_keys = [k for k in ("control_variant", "split") if getattr(ch, k, None) is not None]
            if ab_keys and not ch.ab_column:
                raise ValueError(f"changes[{i}].{ab_keys[0]} describes an A/B test, but the change has no "
                                 "`ab_column` (the column holding each record's variant): add it")
            split = getattr(ch, "split", None)
            control = getattr(ch, "control_variant", None)
            if split and control is not None and control not in split:
                raise ValueError(f"changes[{i}].control_variant '{control}' is not one of the variants of `split` "
                                 f"({', '.join(map(str, split))}){_did_you_mean(control, split)}")
            both = sorted(set(ch.treated_segments) & set(ch.control.segments if ch.control else ()))
            if both:
                raise ValueError(f"changes[{i}]: segment(s) {', '.join(both)} are both treated "
                                 "(`treated_segments`) and control (`control.segments`)")
        if self.spark is not None and self.engine != "pyspark":
            raise ValueError("`spark:` configures the pyspark engine, but `engine` is "
                             f"'{self.engine}': add `engine: pyspark` or remove `spark:`")
        change_ids = [c.id for c in self.changes]
        if len(set(change_ids)) != len(change_ids):
            raise ValueError("change ids must be unique")
        return self

    # ---- conveniences -------------------------------------------------
    @property
    def touchpoint_ids(self) -> list[str]:
        return [t.id for t in self.touchpoints]

    def touchpoint(self, tp_id: str) -> Touchpoint:
        for t in self.touchpoints:
            if t.id == tp_id:
                return t
        raise ConfigError(f"touchpoint '{tp_id}' is not in the catalogue", file=self.path)

    def catalogue_frame(self):
        """The touchpoint catalogue as a pandas DataFrame (one row per touchpoint)."""
        import pandas as pd

        rows = [
            {
                "touchpoint_id": t.id,
                "name": t.name,
                "kind": t.kind,
                "stage": t.stage,
                "phase": t.phase,
                "owner": t.owner,
                "sources": ", ".join(t.sources),
                "effort": t.effort,
            }
            for t in self.touchpoints
        ]
        return pd.DataFrame(rows)

    def changes_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "change_id": c.id,
                    "touchpoint_id": c.touchpoint,
                    "description": c.description,
                    "start": c.start,
                    "kpis": list(c.kpis),
                    "expected_direction": c.expected_direction,
                    "control": c.control.model_dump() if c.control else None,
                    "ab_column": c.ab_column,
                }
                for c in self.changes
            ]
        )

    @property
    def dir(self) -> Path:
        return self.path.parent if self.path else paths.client_dir(self.client_id)


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def _did_you_mean(word: object, choices) -> str:
    """ " (did you mean 'stage'?)" for a near miss among ``choices``, else ""."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(str(word).lower(), [str(c).lower() for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``tuple[Touchpoint, ...]``, ``Control | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` in client.yml (``("touchpoints", 0)`` -> Touchpoint)."""
    model: type[BaseModel] = ClientConfig
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        found = _models_in(info.annotation) if info is not None else []
        if not found:
            return None
        model = found[0]
    return model


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if not info.exclude]


def _error_line(err) -> str:
    """One line per validation error: the key path, what is wrong, the allowed keys or values."""
    loc = tuple(err["loc"])
    field = _loc(loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        key = loc[-1] if loc else "?"
        allowed = _keys_of(parent) if parent is not None else []
        where = f"in '{_loc(loc[:-1])}'" if loc[:-1] else "at the top level"
        msg = f"unknown key '{key}' {where}{_did_you_mean(key, allowed)}"
        if allowed:
            msg += f"; allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        msg = "required key is missing"
    elif kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        value = err.get("input")
        msg = f"'{value}' is not allowed{_did_you_mean(value, allowed)}; allowed values: {', '.join(allowed)}"
    elif "input" in err and not isinstance(err["input"], (dict, list, tuple)) and kind.endswith(
            ("_type", "_parsing", "greater_than_equal", "less_than_equal", "greater_than", "less_than")):
        msg = f"{msg}, not {err['input']!r}"
    return f"key '{field}': {msg}"


def parse_client(data: dict, path: Path | str | None = None) -> ClientConfig:
    """Validate an already-parsed client.yml mapping.

    Every unknown key and every value outside its allowed set is an error naming the key path
    (``touchpoints[3].stage``), the allowed keys or values and the nearest one ("did you mean").
    """
    if not isinstance(data, dict):
        raise ConfigError("the file must be a YAML mapping (key: value lines)", file=path,
                          hint="start from `tpkit new-client NAME` for a valid example")
    try:
        cfg = ClientConfig.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [_error_line(err) for err in errors[:10]]
        if len(errors) > 10:
            lines.append(f"... and {len(errors) - 10} more")
        raise ConfigError(
            "invalid client configuration:\n  " + "\n  ".join(lines),
            file=path,
            hint="correct the keys named above",
        ) from None
    return cfg.model_copy(update={"path": Path(path) if path else None})


def load_client(name: str, root: str | Path | None = None) -> ClientConfig:
    """Load and validate ``data/<name>/client.yml``."""
    path = paths.client_dir(name, root) / "client.yml"
    if not path.is_file():
        known = paths.list_clients(root)
        raise ClientNotFoundError(
            f"no client '{name}' (missing {path})",
            hint=("known clients: " + ", ".join(known)) if known else "run `make demo` or `tpkit new-client NAME`",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=path,
            row=(mark.line + 1) if mark else None,
            hint="check indentation and quoting near that line",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=path, hint="save the file as UTF-8") from None
    data = data if data is not None else {}
    if isinstance(data, dict):
        data.setdefault("client_id", name)
        if data["client_id"] != name:
            raise ConfigError(f"field 'client_id' is '{data['client_id']}' but the folder is '{name}'",
                              file=path, hint="make them match")
    return parse_client(data, path)


def dump_client(cfg: ClientConfig) -> str:
    """Serialise a config back to YAML (stable key order)."""
    data = cfg.model_dump(mode="json", exclude={"path"}, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


CLIENT_TEMPLATE = """\
# Client configuration for the touchpoint analysis kit.
# Validate with `tpkit validate {client_id}`; field reference in README.md ("Adding a client").
client_id: {client_id}
name: "{name}"
timezone: Europe/Copenhagen      # raw timestamps are local to this zone; stored as UTC
currency: DKK
engine: duckdb                   # or pyspark for event tables too large for one machine
branding:
  colour: "#1f4e79"
  logo: null                     # path to a PNG/SVG relative to this folder
survey_overall: nps              # overall outcome for key-driver analysis: nps or csat
touchpoints:                     # the catalogue: one entry per place customers meet you
  - id: website
    name: Website
    kind: digital                # physical | digital
    stage: consideration         # awareness | consideration | decision | retention
    owner: E-commerce
    sources: [events, feedback]  # events | feedback | orders | reviews | interviews
sources:                         # raw exports in raw/ and the canonical table each feeds
  - table: events
    file: raw/events.csv
  - table: feedback
    file: raw/feedback.csv
changes: []                      # log of changes to evaluate (see README.md)
priority_weights: {{experience: 0.4, sales: 0.4, reach: 0.2, effort: 0.0}}
"""


def write_client_template(client_id: str, name: str, root: str | Path | None = None) -> Path:
    """Create data/<client_id>/client.yml from the template (refuses to overwrite)."""
    if not _ID.match(client_id):
        raise ConfigError(f"'{client_id}' cannot be a client name",
                          hint="use lower-case letters, digits, '_' or '-' (for example 'acme-retail')")
    folder = paths.client_dir(client_id, root)
    path = folder / "client.yml"
    if path.exists():
        raise ConfigError("the client already exists", file=path, hint="pick another name or edit this file")
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    text = CLIENT_TEMPLATE.format(client_id=client_id, name=name.replace('"', "'"))
    parse_client(yaml.safe_load(text), path)  # the template itself must be valid
    path.write_text(text, encoding="utf-8")
    return path
