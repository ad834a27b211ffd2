"""The app's HTTP layer: validation, refusals with the library's messages, versions, tokens,
export names, restarts, and exports identical to ``aplcore classify``'s."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import urllib.request

import pandas as pd
import pytest
from app_data import indre
from starlette.testclient import TestClient

from aplcore.app import AppSession, SessionSettings, create_app, open_session
from aplcore.cli import main
from aplcore.zoning import ZoningSession

DATE = "05/01/2026"


@pytest.fixture
def session(tmp_path):
    inputs, settings = indre()
    return AppSession(tmp_path / "session", inputs, settings)


@pytest.fixture
def client(session):
    return TestClient(create_app(session, allowed_hosts=None))


def territories(session):
    """Territories by APL, lowest first."""
    return session.session.zoning.territories.sort_values("apl")


def choose(client, session, code, zone, reason="motif", **extra):
    body = {"version": session.version, "code": code, "zone": zone, "reason": reason, **extra}
    return client.post("/api/choose", json=body)


def assert_refused(response, status, pattern):
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert re.search(pattern, message), message
    assert "Traceback" not in response.text


def test_a_choice_updates_zones_and_gauges(client, session):
    state = client.get("/api/state").json()
    assert state["method"]["zones"] == ["ZIP", "ZAC", "HZ"]
    gauges = {g["zone"]: g for g in state["gauges"]}
    zac = territories(session).query("zone == 'ZAC'").index[0]
    population = session.session.zoning.territories.at[zac, "population"]
    after = choose(client, session, zac, "HZ", reason="cabinet repris").json()
    new = {g["zone"]: g for g in after["gauges"]}
    assert new["ZAC"]["population"] == gauges["ZAC"]["population"] - population
    assert new["HZ"]["population"] == gauges["HZ"]["population"] + population
    assert after["history"][0]["reason"] == "cabinet repris"
    assert after["can_undo"]
    assert not after["can_redo"]
    hz = after["method"]["zones"].index("HZ")
    rows = [k for k, t in enumerate(session.inputs["territory"]) if t == zac]
    assert {after["zone"][k] for k in rows} == {hz}
    assert after["breaches"] == []


def test_a_breach_is_reported_where_the_method_only_checks(client, session):
    high = territories(session).index[-1]  # the highest APL: not eligible for ZIP
    after = choose(client, session, high, "ZIP", reason="désert").json()
    assert "eligibility" in {b["constraint"] for b in after["breaches"]}
    options = client.get("/api/options", params={"code": high}).json()["options"]
    assert {o["zone"]: o["status"] for o in options}["ZIP"] == "current"


def test_zone_options_and_refusals_carry_the_library_messages(client, session, tmp_path):
    code = territories(session).index[0]
    options = client.get("/api/options", params={"code": code}).json()
    assert {o["status"] for o in options["options"]} <= {"current", "allowed", "breach"}
    assert_refused(choose(client, session, code, "ZZZ"), 400, r"unknown zones")
    # another région's agency may not set a territory that région 24 decides
    inputs, settings = indre()
    other = AppSession(
        tmp_path / "other", inputs, SessionSettings(**{**settings.__dict__, "agency": "11"})
    )
    other_client = TestClient(create_app(other, allowed_hosts=None))
    refused = other_client.get("/api/options", params={"code": code}).json()["options"]
    assert {o["status"] for o in refused} == {"current", "refused"}
    # the library's message on the rule, whatever its wording: the two régions named
    messages = [o["message"] for o in refused if o["status"] == "refused"]
    assert all(re.search(r"région 24.*région 11", m, re.S) for m in messages)
    assert_refused(choose(other_client, other, code, "HZ"), 400, r"(?s)région 24.*région 11")
    assert other.session.choices.empty


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (b"{not json", r"must be JSON"),
        (b"[1, 2]", r"JSON object"),
        (b'{"code": "x", "zone": "ZIP"}', r"reason"),
        (b'{"code": "x", "zone": "ZIP", "reason": "  "}', r"reason"),
        (b'{"code": ["x"], "zone": "ZIP", "reason": "r"}', r"'code' must be text"),
        (b'{"code": "x", "zone": "ZIP", "reason": "r", "level": "planet"}', r"'level' must be"),
        (b'{"code": "x", "zone": "ZIP", "reason": "r", "level": "qpv"}', r"host commune"),
        (b'{"zone": "ZIP", "reason": "r"}', r"'code' is required"),
        (b'{"code": "x", "zone": "ZIP", "reason": "r", "population": "-3"}', r"population"),
        (b'{"code": "' + b"9" * 500 + b'", "zone": "ZIP", "reason": "r"}', r"too long"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(client, body, pattern):
    response = client.post("/api/choose", content=body)
    assert_refused(response, 400, pattern)


def test_other_malformed_requests(client, session):
    assert_refused(client.post("/api/choose", content=b"x" * 70_000), 400, r"too large")
    assert_refused(client.get("/api/options", params={"code": "nope"}), 400, r"no territory")
    assert_refused(client.get("/api/options"), 400, r"'code' is required")
    assert_refused(client.get("/api/map/moon/communes.geojson"), 400, r"map scope")
    assert_refused(client.get("/api/map/region/communes.geojson?region=99"), 400, r"région")
    assert_refused(client.get("/api/map/region/roads.geojson?region=24"), 404, r"layer")
    assert_refused(client.get("/api/map/france/territories.geojson"), 404, r"région view")
    assert_refused(client.post("/api/undo", json={"version": session.version}), 400, r"undo")
    assert_refused(client.post("/api/diff?kind=x", content=b"a"), 400, r"kind")
    assert_refused(client.post("/api/diff?kind=session", content=b""), 400, r"send the file")
    bad = client.post("/api/diff?kind=session", content=b"x,y\n1,2\n")
    assert_refused(bad, 400, r"choices table needs columns")
    assert client.get("/no/such/page").status_code == 404
    assert_refused(client.get("/api/choose"), 405, r"Method Not Allowed")


def test_a_stale_page_is_told_and_nothing_is_lost(client, session):
    codes = territories(session).index
    seen = session.version
    assert choose(client, session, codes[0], "HZ").status_code == 200
    late = client.post(
        "/api/choose", json={"version": seen, "code": codes[1], "zone": "HZ", "reason": "r"}
    )
    assert_refused(late, 409, r"changed in another tab")
    assert session.session.choices["code"].tolist() == [codes[0]]


def test_settings_form_uses_the_library_validation(client, session):
    code = territories(session).index[0]
    choose(client, session, code, "HZ", reason="r")

    def configure(**fields):
        body = {"version": session.version, **session.settings.to_json(), **fields}
        return client.post("/api/settings", json=body)

    assert_refused(configure(thresholds="3.98 2.71"), 400, r"increasing")
    assert_refused(configure(method="zonage_1999"), 400, r"unknown zoning method")
    assert_refused(configure(caps={"ZIP": "beaucoup"}), 400, r"cap of ZIP must be")
    assert_refused(configure(cap_unit="percent"), 400, r"cap_unit")
    assert_refused(configure(colour="red"), 400, r"unknown fields")
    assert session.settings.thresholds is None
    state = configure(thresholds="2,6 4,0").json()
    assert state["method"]["thresholds"] == [2.6, 4.0]
    assert state["choices"][0]["code"] == code  # the choices replayed
    assert (session.folder / "settings.json").read_text().count("2.6") == 1


def test_token_off_this_computer(session):
    client = TestClient(create_app(session, token="s3cret", allowed_hosts=None))
    assert_refused(client.get("/api/state"), 403, r"access token")
    assert_refused(client.get("/", headers={"X-Token": "wrong"}), 403, r"access token")
    assert client.get("/api/state", headers={"X-Token": "s3cret"}).status_code == 200
    page = client.get("/?token=s3cret")
    assert page.status_code == 200
    assert "aplcore_token" in page.headers["set-cookie"]
    assert client.get("/api/state").status_code == 200  # the cookie carries it now


def test_only_local_host_names_by_default(session):
    client = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
    assert client.get("/api/state").status_code == 200
    rebinding = client.get("/api/state", headers={"Host": "evil.example:8765"})
    assert rebinding.status_code == 400


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x" * 65, "a\\b", "é"])
def test_export_names_cannot_escape_the_export_folder(client, session, name):
    response = client.post("/api/export", json={"version": session.version, "name": name})
    assert response.status_code == 400
    assert not (session.folder.parent / "x").exists()


def test_downloads_stay_in_the_export_folder(client, session):
    for path in (
        "/exports/../settings.json",
        "/exports/..%2F/settings.json",
        "/exports/a1/settings.json",
        "/exports/a1/decree_annex.csv",
    ):
        assert client.get(path).status_code in (400, 404), path


def test_session_saved_after_each_step_and_restored(client, session):
    codes = territories(session).index
    choose(client, session, codes[0], "HZ", reason="un")
    choose(client, session, codes[1], "ZAC", reason="deux")
    client.post("/api/undo", json={"version": session.version})
    restarted = AppSession(session.folder)
    assert restarted.session.choices["code"].tolist() == [codes[0]]
    assert restarted.session.history()["reason"].tolist() == ["un"]
    assert restarted.session.can_undo
    assert restarted.version != session.version  # a page from before the restart is stale
    pd.testing.assert_frame_equal(
        restarted.session.zoning.communes, session.session.zoning.communes
    )


def test_diff_against_a_saved_session_and_the_zoning_in_force(client, session):
    codes = territories(session).index
    choose(client, session, codes[0], "HZ", reason="un")
    saved = (session.folder / "choices.csv").read_bytes()
    exported = client.post(
        "/api/export", json={"version": session.version, "name": "v1", "maps": False}
    ).json()
    national = (session.folder / "exports" / "v1" / "zonage_communes.csv").read_bytes()
    assert exported["files"][0]["url"] == "/exports/v1/decree_annex.csv"
    choose(client, session, codes[1], "HZ", reason="deux")
    diff = client.post("/api/diff?kind=session&name=choices.csv", content=saved).json()
    assert [(c["code"], c["change"]) for c in diff["choices"]] == [(codes[1], "added")]
    moved = set(session.inputs.index[session.inputs["territory"] == codes[1]])
    assert set(diff["communes"]) == moved
    in_force = client.post("/api/diff?kind=national&name=zonage.csv", content=national).json()
    assert set(in_force["communes"]) == moved
    assert in_force["labels"] == ["in force", "this session"]


def test_exports_are_byte_for_byte_those_of_aplcore_classify(client, session, tmp_path):
    codes = territories(session).index
    choose(client, session, codes[0], "HZ", reason="cabinet repris")
    choose(client, session, codes[-1], "ZIP", reason="désert médical")
    commune = session.inputs.index[5]
    choose(client, session, commune, "ZIP", reason="pôle de santé", level="commune")
    body = {"version": session.version, "name": "decret", "date_arrete": DATE}
    files = client.post("/api/export", json=body).json()["files"]
    assert [f["name"] for f in files][-1] == "choices.csv"
    # the same session through the command line
    inputs = session.inputs
    inputs[["apl", "population"]].to_csv(tmp_path / "apl.csv")
    inputs[["territory", "departement", "region"]].to_csv(tmp_path / "territories.csv")
    caps = [f"--cap={z}={v}" for z, v in session.settings.caps.items()]
    out = tmp_path / "classify"
    argv = [
        "classify",
        "--apl",
        str(tmp_path / "apl.csv"),
        "--territories",
        str(tmp_path / "territories.csv"),
        "--choices",
        str(session.folder / "choices.csv"),
        *caps,
        "--date-arrete",
        DATE,
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    for f in files:
        if f["name"] == "choices.csv":
            continue
        downloaded = client.get(f["url"])
        assert downloaded.status_code == 200
        assert downloaded.content == (out / f["name"]).read_bytes(), f["name"]


def test_exports_match_a_replay_in_python(client, session):
    code = territories(session).index[0]
    choose(client, session, code, "HZ", reason="motif")
    client.post("/api/export", json={"version": session.version, "name": "a", "maps": False})
    inputs = session.inputs
    replayed = ZoningSession.replay(
        session.folder / "choices.csv",
        inputs["apl"],
        population=inputs["population"],
        territory=inputs[["territory", "departement", "region"]],
        **session.settings.options(),
    )
    annex = pd.read_csv(io.BytesIO(client.get("/exports/a/decree_annex.csv").content), dtype=str)
    assert annex["code"].tolist() == replayed.zoning.decree_annex()["code"].tolist()


def test_the_command_serves_a_saved_session_and_stops_on_ctrl_c(session, tmp_path):
    command = [sys.executable, "-m", "aplcore", "app", "--session", str(session.folder)]
    process = subprocess.Popen(
        [*command, "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "api/state", timeout=60) as answer:
            state = json.load(answer)
        assert state["settings"]["method"] == "zonage_2025"
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    assert "stopped; the session is saved" in out


def test_the_command_refuses_a_folder_without_a_session(tmp_path, capsys):
    assert main(["app", "--session", str(tmp_path / "nothing"), "--no-browser"]) == 1
    assert "not a session folder" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()
    assert main(["app", "--apl", str(tmp_path / "x.csv"), "--no-browser"]) == 1
    assert "--apl needs --apl-column" in capsys.readouterr().err


def test_commune_and_qpv_choices(client, session):
    commune = str(session.inputs["population"].idxmax())  # Châteauroux
    options = client.get("/api/options", params={"code": commune, "level": "commune"}).json()
    assert options["level"] == "commune"
    assert {o["zone"] for o in options["options"]} == {"ZIP", "ZAC", "HZ"}
    qpv = {"level": "qpv", "commune": commune, "population": 800}
    state = choose(client, session, "QN03601M", "ZIP", reason="QPV prioritaire", **qpv).json()
    assert state["qpv"] == [
        {"code": "QN03601M", "commune": commune, "population": 800.0, "zone": "ZIP"}
    ]
    assert state["history"][-1]["level"] == "qpv"
    small = str(session.inputs["population"].idxmin())
    too_many = {"level": "qpv", "commune": small, "population": 1e6}
    assert_refused(choose(client, session, "QN03603M", "ZIP", **too_many), 400, r"exceed")
    assert_refused(
        choose(client, session, "QN03602M", "ZIP", level="qpv", commune="99999", population=5),
        400,
        r"99999",
    )


def test_stability_from_a_scenario_run_is_shown_next_to_the_choice(session, tmp_path):
    territories = session.session.zoning.territories
    code = territories.index[0]
    table = pd.DataFrame(
        {
            "population": territories["population"],
            "baseline_zone": territories["zone"],
            "p_same": 0.75,
            "most_likely": territories["zone"],
            "p_ZIP": 0.75,
            "p_ZAC": 0.25,
            "p_HZ": 0.0,
        },
        index=pd.Index(territories.index, name="territory"),
    )
    table.to_csv(tmp_path / "territories.csv")
    with_stability = open_session(session.folder, stability=tmp_path / "territories.csv")
    client = TestClient(create_app(with_stability, allowed_hosts=None))
    info = client.get("/api/options", params={"code": code}).json()
    assert info["stability"] == {"ZIP": 0.75, "ZAC": 0.25, "HZ": 0.0}
    (tmp_path / "bad.csv").write_text("territory,zone\nA,ZIP\n", encoding="utf-8")
    with pytest.raises(ValueError, match="p_<zone> columns"):
        open_session(session.folder, stability=tmp_path / "bad.csv")


def test_a_session_from_an_apl_table_as_aplcore_zone_reads_it(tmp_path):
    inputs, _ = indre()
    table = pd.DataFrame(
        {"code": inputs.index, "apl_65": inputs["apl"], "pop_total": inputs["population"]}
    )
    table.loc[len(table)] = ["28025", 2.5, 300.0]  # merged into 28319 on 1 January 2025
    table.to_csv(tmp_path / "apl.csv", index=False)
    session = open_session(
        tmp_path / "s", apl=tmp_path / "apl.csv", apl_column="apl_65", region="24"
    )
    assert "28319" in session.inputs.index
    assert "28025" not in session.inputs.index
    assert session.settings.agency == "24"
    assert (tmp_path / "s" / "inputs.parquet").is_file()
    with pytest.raises(ValueError, match="already holds a session"):
        open_session(tmp_path / "s", apl=tmp_path / "apl.csv", apl_column="apl_65")
    with pytest.raises(ValueError, match="région '11' has no commune"):
        open_session(tmp_path / "t", apl=tmp_path / "apl.csv", apl_column="apl_65", region="11")
    assert not (tmp_path / "t").exists()


def test_settings_can_take_the_bundled_territories(client, session):
    body = {"version": session.version, **session.settings.to_json(), "territories": "commune"}
    state = client.post("/api/settings", json=body).json()
    assert state["settings"]["territories"] == "commune"
    assert len(session.session.zoning.territories) == len(session.inputs)
    assert client.get("/api/communes").json()["territory"] == session.inputs.index.tolist()
    outlines = client.get("/api/map/region/territories.geojson?region=24").json()
    assert len(outlines["features"]) == len(session.inputs)
    territory = session.session.zoning.territories.index[0]
    choose(client, session, territory, "HZ", reason="une commune")
    body = {"version": session.version, **session.settings.to_json(), "territories": "epci"}
    assert_refused(client.post("/api/settings", json=body), 400, territory)
    assert session.settings.territories == "commune"  # refused: nothing changed
    body["territories"] = "canton"
    assert_refused(client.post("/api/settings", json=body), 400, r"territories must be one of")
