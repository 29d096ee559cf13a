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
