import textwrap

import pytest
import yaml

from helpers.config import dump_client, load_client, parse_client, write_client_template
from helpers.errors import ClientNotFoundError, ConfigError

MINIMAL = {
    "name": "Acme",
    "touchpoints": [
        {"id": "website", "name": "Website", "kind": "digital", "stage": "consideration"},
        {"id": "store", "name": "Store", "kind": "physical", "stage": "decision", "sources": ["events", "orders"]},
    ],
}


def _write(tmp_path, client, text):
    folder = tmp_path / "data" / client
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(text, encoding="utf-8")
    return folder / "client.yml"


def test_minimal_config_loads_with_defaults(tmp_path):
    _write(tmp_path, "acme", yaml.safe_dump(MINIMAL))
    cfg = load_client("acme", root=tmp_path)
    assert cfg.client_id == "acme"
    assert cfg.engine == "duckdb"
    assert cfg.touchpoint_ids == ["website", "store"]
    assert cfg.touchpoint("store").phase == "during purchase"
    frame = cfg.catalogue_frame()
    assert list(frame["touchpoint_id"]) == ["website", "store"]
    assert frame.loc[1, "sources"] == "events, orders"


def test_dump_and_parse_round_trip(tmp_path):
    path = _write(tmp_path, "acme", yaml.safe_dump(MINIMAL))
    cfg = load_client("acme", root=tmp_path)
    again = parse_client(yaml.safe_load(dump_client(cfg)), path)
    assert again == cfg


def test_missing_client_names_known_ones(tmp_path):
    _write(tmp_path, "acme", yaml.safe_dump(MINIMAL))
    with pytest.raises(ClientNotFoundError) as info:
        load_client("acne", root=tmp_path)
    assert "acme" in str(info.value)


def test_broken_yaml_names_file_and_line(tmp_path):
    path = _write(tmp_path, "acme", "name: Acme\ntouchpoints:\n  - id: web\n   name: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_client("acme", root=tmp_path)
    msg = str(info.value)
    assert str(path) in msg and "row" in msg and "YAML" in msg


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d["touchpoints"][1].update(stage="purchase"), "touchpoints[1].stage"),
        (lambda d: d["touchpoints"][0].update(kind="online"), "touchpoints[0].kind"),
        (lambda d: d["touchpoints"][0].update(id="Web Site"), "touchpoints[0].id"),
        (lambda d: d.update(engine="spark"), "engine"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.pop("touchpoints"), "touchpoints"),
        (lambda d: d.update(first_period="2026Q9"), "first_period"),
    ],
)
def test_invalid_fields_are_named(tmp_path, mutate, field):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    mutate(data)
    path = _write(tmp_path, "acme", yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_client("acme", root=tmp_path)
    msg = str(info.value)
    assert str(path) in msg
    assert field in msg


def test_changes_must_reference_catalogue(tmp_path):
    data = dict(MINIMAL, changes=[{"id": "c1", "touchpoint": "app", "description": "x", "start": "2026-07-01",
                                   "kpis": ["csat"]}])
    _write(tmp_path, "acme", yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="'app' is not in the touchpoint catalogue"):
        load_client("acme", root=tmp_path)


def test_duplicate_touchpoints_rejected(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["touchpoints"][1]["id"] = "website"
    _write(tmp_path, "acme", yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="repeated: website"):
        load_client("acme", root=tmp_path)


def test_client_id_must_match_folder(tmp_path):
    _write(tmp_path, "acme", yaml.safe_dump(dict(MINIMAL, client_id="other")))
    with pytest.raises(ConfigError, match="folder is 'acme'"):
        load_client("acme", root=tmp_path)


def test_changes_frame_and_dates(tmp_path):
    data = dict(MINIMAL, changes=[{"id": "c1", "touchpoint": "store", "description": "New tills",
                                   "start": "2026-07-01", "kpis": ["csat", "conversion"],
                                   "control": {"touchpoints": ["website"]}}])
    _write(tmp_path, "acme", yaml.safe_dump(data))
    cfg = load_client("acme", root=tmp_path)
    ch = cfg.changes[0]
    assert str(ch.start) == "2026-07-01" and ch.expected_direction == "up"
    assert cfg.changes_frame().loc[0, "control"] == {"touchpoints": ("website",), "segments": ()}


def test_template_is_valid_and_not_overwritten(tmp_path):
    path = write_client_template("new-co", "New Co", root=tmp_path)
    cfg = load_client("new-co", root=tmp_path)
    assert cfg.name == "New Co" and (path.parent / "raw").is_dir()
    with pytest.raises(ConfigError, match="already exists"):
        write_client_template("new-co", "New Co", root=tmp_path)
    with pytest.raises(ConfigError, match="cannot be a client name"):
        write_client_template("Bad Name", "x", root=tmp_path)


def test_empty_file_is_a_config_error(tmp_path):
    _write(tmp_path, "acme", textwrap.dedent("# nothing yet\n"))
    with pytest.raises(ConfigError, match="touchpoints"):
        load_client("acme", root=tmp_path)


# ----------------------------------------------------------------------------- strict configuration

def _error(tmp_path, mutate) -> tuple[str, str]:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    mutate(data)
    path = _write(tmp_path, "acme", yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_client("acme", root=tmp_path)
    return str(info.value), str(path)


@pytest.mark.parametrize(
    "mutate,path,near,allowed",
    [
        (lambda d: d.update(segmnts=["b2b"]), "segmnts", "segments", "touchpoints"),
        (lambda d: d.update(sparks={"master": "local[2]"}), "sparks", "spark", "engine"),
        (lambda d: d["touchpoints"][1].update(stge="decision"), "touchpoints[1].stge", "stage", "owner"),
        (lambda d: d.update(branding={"color": "#112233"}), "branding.color", "colour", "logo"),
        (lambda d: d.update(priority_weights={"sale": 1}), "priority_weights.sale", "sales", "experience"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "New till", "start":
                                      "2026-07-01", "kpis": ["csat"], "contrl": {}}]), "changes[0].contrl",
         "control", "expected_direction"),
    ],
)
def test_unknown_keys_name_the_path_the_allowed_keys_and_the_near_miss(tmp_path, mutate, path, near, allowed):
    msg, file = _error(tmp_path, mutate)
    assert file in msg
    assert f"unknown key '{path.rsplit('.', 1)[-1].split(']')[-1]}'" in msg
    assert path.rsplit(".", 1)[0] in msg
    assert "allowed keys:" in msg and allowed in msg
    if near:
        assert f"did you mean '{near}'?" in msg
    else:
        assert "did you mean" not in msg


@pytest.mark.parametrize(
    "mutate,field,value,near,allowed",
    [
        (lambda d: d["touchpoints"][0].update(stage="awarness"), "touchpoints[0].stage", "awarness", "awareness",
         "awareness, consideration, decision, retention"),
        (lambda d: d["touchpoints"][1].update(sources=["events", "order"]), "touchpoints[1].sources[1]", "order",
         "orders", "events, feedback, orders, reviews, interviews"),
        (lambda d: d.update(engine="pyspak"), "engine", "pyspak", "pyspark", "duckdb, pyspark"),
        (lambda d: d.update(sources=[{"table": "feedbak", "file": "raw/f.csv"}]), "sources[0].table", "feedbak",
         "feedback", "events, feedback, orders, reviews, costs"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["csatt"]}]), "changes[0].kpis[0]", "csatt", "csat", "top2box"),
        (lambda d: d.update(language="dk"), "language", "dk", "da", "en, da, sv, nb"),
    ],
)
def test_values_outside_the_allowed_set_name_them_with_a_near_miss(tmp_path, mutate, field, value, near, allowed):
    msg, file = _error(tmp_path, mutate)
    assert file in msg and f"key '{field}'" in msg
    assert f"'{value}'" in msg and f"did you mean '{near}'?" in msg
    assert allowed in msg


@pytest.mark.parametrize(
    "mutate,field,words",
    [
        (lambda d: d.update(currency="kroner"), "currency", "ISO 4217"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "encoding": "utf-9"}]),
         "sources[0].encoding", "encoding"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "delimiter": ";;"}]),
         "sources[0].delimiter", "one character"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "decimal": ";"}]),
         "sources[0].decimal", "decimal separator"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "date_format": "dd-mm-yyyy"}]),
         "sources[0].date_format", "strftime"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "header_rows": 0}]),
         "sources[0].header_rows", "greater than or equal to 1, not 0"),
        (lambda d: d.update(sources=[{"table": "feedback", "file": "f.csv", "header": False, "names": ["a"],
                                      "header_rows": 2}]), "sources[0]", "conflicts with `header_rows:`"),
        (lambda d: d.update(sources=[{"table": "events", "file": "e.parquet", "format": "parquet",
                                      "delimiter": ";"}]), "sources[0]", "apply to CSV files"),
        (lambda d: d.update(sources=[{"table": "orders", "file": "o.csv", "tool": "shopify", "adapter": "crm"}]),
         "sources[0]", "`tool: shopify` decides how the file is read"),
        (lambda d: d.update(sources=[{"table": "orders", "file": "o.csv", "header": False, "names": ["a", "b", "a"]}]),
         "sources[0]", "`names:` repeats 'a'"),
        (lambda d: d["touchpoints"][0].update(effort=8), "touchpoints[0].effort", "less than or equal to 5, not 8"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["conversion"], "control_variant": "A"}]), "changes[0].control_variant",
         "add it"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["conversion"], "ab_column": "variant", "control_variant": "contrl",
                                      "split": {"control": 50, "new": 50}}]), "changes[0].control_variant",
         "did you mean 'control'?"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["csat"], "expected_effect": {"conversion": 0.03}}]), "changes[0]",
         "not in this change's kpis"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["csat"], "expected_effect": {"csat": -0.3}}]), "changes[0]",
         "positive size"),
        (lambda d: d.update(priority_weights={"experience": 0, "sales": 0, "reach": 0}), "priority_weights",
         "all 0"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "end": "2026-06-01", "kpis": ["csat"]}]), "changes[0].end", "before its start"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["csat"], "control": {"touchpoints": ["store"]}}]),
         "changes[0].control.touchpoints", "its own control"),
        (lambda d: d.update(changes=[{"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
                                      "kpis": ["csat"], "treated_segments": ["b2b"],
                                      "control": {"segments": ["b2b"]}}]), "changes[0]", "both treated"),
    ],
)
def test_wrong_values_and_conflicts_are_named(tmp_path, mutate, field, words):
    msg, file = _error(tmp_path, mutate)
    assert file in msg and field in msg and words in msg, msg


def test_a_planned_effect_per_kpi_is_read_and_used_by_the_monitor(tmp_path):
    from helpers.monitor import compute as mon

    change = {"id": "c1", "touchpoint": "store", "description": "x", "start": "2026-07-01",
              "kpis": ["csat", "conversion"], "expected_effect": {"conversion": 0.03}}
    cfg = _client(tmp_path, changes=[change])
    assert cfg.changes[0].expected_effect == {"conversion": 0.03}
    assert mon.planned_effect(cfg.changes[0], "conversion", 0.2) == (0.03, "client.yml")
    assert mon.planned_effect(cfg.changes[0], "csat", 4.0)[1] == "reference"


def test_valid_choices_still_load(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data.update(language="da", currency="DKK", sources=[{"table": "feedback", "file": "raw/f.csv", "encoding":
                                                        "cp1252", "delimiter": ";", "decimal": ","}])
    _write(tmp_path, "acme", yaml.safe_dump(data))
    cfg = load_client("acme", root=tmp_path)
    assert cfg.language == "da" and cfg.sources[0].encoding == "cp1252"


# ----------------------------------------------------------------------------- engine, spark, storage

def _client(tmp_path, **extra):
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data.update(extra)
    _write(tmp_path, "acme", yaml.safe_dump(data))
    return load_client("acme", root=tmp_path)


@pytest.mark.parametrize("master", ["local", "local[4]", "local[*]", "local[2,3]", "spark://10.0.0.5:7077",
                                    "spark://a:7077,b:7077", "yarn", "k8s://https://k8s.example.com:6443"])
def test_spark_masters_people_use_are_accepted(tmp_path, master):
    cfg = _client(tmp_path, engine="pyspark", spark={"master": master, "conf": {"spark.executor.memory": "4g"}})
    assert cfg.spark.master == master and cfg.spark.remote is None
    assert cfg.spark.conf == {"spark.executor.memory": "4g"}


def test_spark_connect_remote_is_accepted(tmp_path):
    cfg = _client(tmp_path, engine="pyspark", spark={"remote": "sc://spark.example.com:15002"})
    assert cfg.spark.remote == "sc://spark.example.com:15002" and cfg.spark.master is None


@pytest.mark.parametrize(
    "spark,words",
    [
        ({"master": "local[0]"}, ["spark.master", "'local[0]' is not a Spark master", "spark://HOST:PORT"]),
        ({"master": "spark://host"}, ["spark.master", "not a Spark master"]),
        ({"master": "mesos://h:5050"}, ["spark.master", "yarn"]),
        ({"remote": "http://h:15002"}, ["spark.remote", "sc://HOST:PORT"]),
        ({"master": "local[2]", "remote": "sc://h:15002"}, ["key 'spark'", "either `master`", "not both"]),
        ({"mastr": "yarn"}, ["unknown key 'mastr'", "did you mean 'master'?", "allowed keys: master, remote, conf"]),
        ({"conf": {"executor.memory": "4g"}}, ["spark.conf", "start with 'spark.'"]),
        ({"conf": {"spark.hadoop.fs.s3a.secret.key": "abc123"}}, ["spark.conf", "holds a secret", "${NAME}"]),
        ({"conf": {"spark.sql.session.timeZone": "Europe/Oslo"}}, ["spark.conf", "must stay UTC"]),
    ],
)
def test_bad_spark_settings_name_client_yml_the_key_and_the_fix(tmp_path, spark, words):
    msg, file = _error(tmp_path, lambda d: d.update(engine="pyspark", spark=spark))
    assert file in msg
    for w in words:
        assert w in msg


def test_spark_settings_with_the_duckdb_engine_are_an_error(tmp_path):
    msg, file = _error(tmp_path, lambda d: d.update(spark={"master": "yarn"}))
    assert file in msg and "add `engine: pyspark` or remove `spark:`" in msg


def test_secret_conf_values_come_from_the_environment(tmp_path, monkeypatch):
    cfg = _client(tmp_path, engine="pyspark", spark={"master": "yarn", "conf": {
        "spark.hadoop.fs.s3a.secret.key": "${TPKIT_TEST_SECRET}", "spark.sql.adaptive.enabled": True}})
    monkeypatch.setenv("TPKIT_TEST_SECRET", "s3cr3t")
    assert cfg.spark.resolved_conf() == {"spark.hadoop.fs.s3a.secret.key": "s3cr3t",
                                         "spark.sql.adaptive.enabled": "true"}
    monkeypatch.delenv("TPKIT_TEST_SECRET")
    with pytest.raises(ConfigError, match="TPKIT_TEST_SECRET, which is not set"):
        cfg.spark.resolved_conf()


@pytest.mark.parametrize("uri", ["s3a://bucket/tpkit/acme", "abfss://c@acct.dfs.core.windows.net/tpkit/acme",
                                 "gs://bucket/acme", "hdfs://namenode:8020/tpkit/acme", "file:///srv/tpkit/acme",
                                 "../shared/acme"])
def test_storage_uris_of_the_supported_schemes_are_accepted(tmp_path, uri):
    assert _client(tmp_path, storage=uri + "/").storage == uri


@pytest.mark.parametrize(
    "uri,words",
    [
        ("s3://bucket/acme", ["key 'storage'", "'s3://' is not a storage", "did you mean 's3a'?", "s3a://, abfss://"]),
        ("ftp://host/acme", ["key 'storage'", "'ftp://' is not a storage", "file://"]),
        ("file://relative/acme", ["key 'storage'", "not an absolute file URI"]),
        ("gs:///acme", ["key 'storage'", "names no bucket"]),
        ("  ", ["key 'storage'", "give a folder or a URI"]),
    ],
)
def test_bad_storage_names_client_yml_the_key_and_what_is_accepted(tmp_path, uri, words):
    msg, file = _error(tmp_path, lambda d: d.update(storage=uri))
    assert file in msg
    for w in words:
        assert w in msg


def test_a_spark_connect_token_comes_from_the_environment(tmp_path, monkeypatch):
    msg, file = _error(tmp_path, lambda d: d.update(engine="pyspark", spark={"remote": "sc://h:443/;token=abc"}))
    assert file in msg and "spark.remote" in msg and "holds a token" in msg
    cfg = _client(tmp_path, engine="pyspark", spark={"remote": "sc://h:443/;use_ssl=true;token=${TPKIT_TEST_TOKEN}"})
    monkeypatch.setenv("TPKIT_TEST_TOKEN", "t0k")
    assert cfg.spark.resolved_remote() == "sc://h:443/;use_ssl=true;token=t0k"
