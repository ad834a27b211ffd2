"""The app in a real headless Chromium (Debian's ``chromium``, driven by Playwright): choose a
territory and see the gauges and the map change, a refused choice, undo, reload and restart,
two tabs, the exports compared with the library's, the France view.

Screenshots go to ``$APLCORE_SCREENSHOTS`` when set (to look at them), else to a temporary
folder. Without Chromium the tests are skipped, except on CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from app_data import indre
from PIL import Image

from aplcore.app import AppSession, running
from aplcore.io import write_csv
from aplcore.zoning import ZoningSession, format_annex

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("APLCORE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT = 30_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium (or set APLCORE_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("APLCORE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def session(tmp_path):
    inputs, settings = indre()
    return AppSession(tmp_path / "session", inputs, settings)


@pytest.fixture
def url(session):
    with running(session) as address:
        yield address


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(TIMEOUT)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("body[data-map-drawn]")
    page.errors = errors
    return page


def commune_of(session, territory):
    inputs = session.inputs
    block = inputs[inputs["territory"] == territory]
    return str(block["population"].idxmax())


def click_commune(page, code):
    point = page.evaluate("(code) => window.aplApp.pointOf(code)", code)
    assert point is not None, code
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(  # the options of the unit just selected are shown
        """(code) => {
            const app = window.aplApp;
            return app.selected && app.selected.commune === code
                && document.querySelector('#unit').textContent.includes(app.selected.code)
                && document.querySelectorAll('#options .opt').length > 0;
        }""",
        arg=code,
    )
    return point


def pixel(page, point):
    """RGB of the map at a point (the canvas as drawn)."""
    page.mouse.move(5, 5)  # no tooltip over the point
    page.wait_for_timeout(100)
    image = page.screenshot(clip={"x": point["x"], "y": point["y"], "width": 1, "height": 1})
    return Image.open(BytesIO(image)).convert("RGB").getpixel((0, 0))


def distance(rgb, hex_colour):
    target = tuple(int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return sum((a - b) ** 2 for a, b in zip(rgb, target, strict=True)) ** 0.5


def apply(page, zone, reason):
    version = page.evaluate("document.body.dataset.version")
    page.check(f'#options .opt[data-zone="{zone}"] input')
    page.fill("#reason", reason)
    page.click("#apply")
    page.wait_for_function(  # accepted (a new version, its options shown) or refused
        """([version, zone]) => document.querySelector('#message .refused-msg')
            || (document.body.dataset.version !== version && document.querySelector(
                `#options .opt[data-zone="${zone}"][data-status="current"]`))""",
        arg=[version, zone],
    )


def gauge_text(page, zone):
    return page.locator(".gauge .text", has_text=re.compile(rf"^{zone} :")).inner_text()


def history_rows(page):
    return page.locator("#history tbody tr").all_inner_texts()


def test_choose_a_territory_and_see_gauges_and_map_change(browser, session, url, shots):
    page = open_page(browser, url)
    page.screenshot(path=shots / "app_start.png")
    zac = session.session.zoning.territories.query("zone == 'ZAC'").sort_values("apl").index[0]
    code = commune_of(session, zac)
    point = click_commune(page, code)
    before_map = pixel(page, point)
    assert distance(before_map, "#f4a582") < distance(before_map, "#92c5de")
    before = gauge_text(page, "ZAC")
    assert page.locator('#options .opt[data-zone="ZAC"]').get_attribute("data-status") == (
        "current"
    )
    apply(page, "HZ", "cabinet repris par un centre de santé")
    page.wait_for_selector("#message .ok-msg")
    assert gauge_text(page, "ZAC") != before
    population = session.session.zoning.territories.at[zac, "population"]
    zac_now = session.session.gauges().set_index("zone").at["ZAC", "population"]
    shown = int(
        re.search(r"ZAC : ([\d\s\u202f]+)", gauge_text(page, "ZAC"))
        .group(1)
        .replace("\u202f", "")
        .replace(" ", "")
        .replace("\xa0", "")
    )
    assert shown == zac_now
    assert population > 0
    after_map = pixel(page, point)
    assert distance(after_map, "#92c5de") < distance(after_map, "#f4a582")
    assert "cabinet repris" in history_rows(page)[0]
    page.screenshot(path=shots / "app_choice.png")
    page.hover("#gauges")
    page.locator("#history-box").screenshot(path=shots / "app_history.png")
    assert page.errors == []


def test_forbidden_choice_refused_and_breach_shown(browser, session, tmp_path, shots):
    inputs, settings = indre()
    other = AppSession(
        tmp_path / "other", inputs, type(settings)(**{**settings.__dict__, "agency": "11"})
    )
    territory = session.session.zoning.territories.index[0]
    with running(other) as other_url:
        page = open_page(browser, other_url)
        click_commune(page, commune_of(other, territory))
        refused = page.locator('#options .opt[data-status="refused"]')
        assert refused.count() == 2
        assert re.search(r"région 24.*région 11", refused.first.inner_text(), re.S)
        zone = refused.first.get_attribute("data-zone")
        apply(page, zone, "essai")
        message = page.locator("#message .refused-msg").inner_text()
        assert "Refusé" in message
        assert re.search(r"région 24.*région 11", message, re.S)
        assert history_rows(page) == ["Aucun choix : la proposition de la méthode."]
        page.screenshot(path=shots / "app_refused.png")
    assert other.session.choices.empty
    # a choice the method only checks: applied, shown as a breach
    with running(session) as url:
        page = open_page(browser, url)
        high = session.session.zoning.territories.sort_values("apl").index[-1]
        click_commune(page, commune_of(session, high))
        assert page.locator('#options .opt[data-zone="ZIP"]').get_attribute("data-status") == (
            "breach"
        )
        apply(page, "ZIP", "désert médical")
        assert "eligibility" in page.locator("#message .breach-msg").inner_text()
        assert page.locator("#checks tr.broken").count() >= 1


def test_undo_redo_reload_and_restart_keep_the_session(browser, session, tmp_path):
    terr = session.session.zoning.territories.sort_values("apl")
    with running(session) as url:
        page = open_page(browser, url)
        click_commune(page, commune_of(session, terr.index[0]))
        apply(page, "ZAC", "premier choix")
        click_commune(page, commune_of(session, terr.index[1]))
        apply(page, "HZ", "second choix")
        two = gauge_text(page, "HZ")
        assert len(history_rows(page)) == 2
        page.click("#undo")
        page.wait_for_function("document.querySelectorAll('#history tbody tr').length === 1")
        assert gauge_text(page, "HZ") != two
        page.click("#redo")
        page.wait_for_function("document.querySelectorAll('#history tbody tr').length === 2")
        assert gauge_text(page, "HZ") == two
        page.reload()
        page.wait_for_selector("body[data-map-drawn]")
        assert len(history_rows(page)) == 2
        assert gauge_text(page, "HZ") == two
    restarted = AppSession(session.folder)
    with running(restarted) as url:
        page = open_page(browser, url)
        rows = history_rows(page)
        assert ["premier choix" in rows[0], "second choix" in rows[1]] == [True, True]
        assert gauge_text(page, "HZ") == two
        assert page.locator("#undo").is_enabled()


def test_two_tabs_the_second_writer_is_told_and_reloads(browser, session, url):
    first, second = open_page(browser, url), open_page(browser, url)
    terr = session.session.zoning.territories.sort_values("apl")
    click_commune(first, commune_of(session, terr.index[0]))
    apply(first, "HZ", "depuis le premier onglet")
    click_commune(second, commune_of(session, terr.index[1]))
    second.check('#options .opt[data-zone="HZ"] input')
    second.fill("#reason", "depuis le second onglet")
    with second.expect_navigation():
        second.click("#apply")
        second.wait_for_selector("#status.error")
        assert "another tab" in second.locator("#status").inner_text()
    second.wait_for_selector("body[data-map-drawn]")
    rows = history_rows(second)
    assert len(rows) == 1
    assert "premier onglet" in rows[0]
    assert session.session.choices["reason"].tolist() == ["depuis le premier onglet"]


def test_export_the_decree_annex_byte_for_byte(browser, session, url):
    page = open_page(browser, url)
    terr = session.session.zoning.territories.sort_values("apl")
    click_commune(page, commune_of(session, terr.index[2]))
    apply(page, "HZ", "motif de l'annexe")
    page.click("#export-box summary")
    page.fill("#export-name", "concertation-1")
    page.uncheck("#export-maps")
    page.click("#export button[type=submit]")
    page.wait_for_selector("#export-files a")
    links = {a.inner_text(): a.get_attribute("href") for a in page.locator("#export-files a").all()}
    csv_bytes = page.request.get(url.rstrip("/") + links["decree_annex.csv"]).body()
    text = page.request.get(url.rstrip("/") + links["decree_annex.txt"]).body().decode("utf-8")
    # the library on its own: the saved choices replayed, the annex written
    inputs = session.inputs
    library = ZoningSession.replay(
        session.folder / "choices.csv",
        inputs["apl"],
        population=inputs["population"],
        territory=inputs[["territory", "departement", "region"]],
        **session.settings.options(),
    )
    annex = library.zoning.decree_annex()
    expected = write_csv(annex.set_index("zone"), session.folder / "expected.csv")
    assert csv_bytes == Path(expected).read_bytes()
    assert text == format_annex(annex, title="Annexe : zones (zonage_2025)")
    assert "motif de l'annexe" not in text  # a territory's reason stays in the history
    assert pd.read_csv(Path(expected), dtype=str)["zone"].iloc[0] == "ZIP"


def test_france_view(browser, session, url, shots):
    page = open_page(browser, url)
    page.select_option("#scope", "france:")
    page.wait_for_selector('body[data-map-drawn="france:"]', timeout=60_000)
    assert page.evaluate("window.aplApp.layer.getLayers().length") > 30_000
    page.screenshot(path=shots / "app_france.png")


def test_diff_with_another_session_on_the_map_and_as_a_table(browser, session, url, shots):
    page = open_page(browser, url)
    terr = session.session.zoning.territories.sort_values("apl")
    click_commune(page, commune_of(session, terr.index[0]))
    apply(page, "HZ", "premier")
    saved = session.folder.parent / "before.csv"
    saved.write_bytes((session.folder / "choices.csv").read_bytes())
    code = commune_of(session, terr.index[1])
    point = click_commune(page, code)
    apply(page, "HZ", "second")
    page.set_input_files("#diff-file", str(saved))
    page.click("#diff-form button[type=submit]")
    page.wait_for_selector("#diff table")
    text = page.locator("#diff").inner_text()
    assert "territoire " + terr.index[1] in text
    assert "added" in text
    moved = (session.inputs["territory"] == terr.index[1]).sum()
    assert f"{moved} commune(s) changent de zone" in text
    assert "pointillés violets" in page.locator("#legend").inner_text()
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".leaflet-tooltip")
    assert "comparaison" in page.locator(".leaflet-tooltip").inner_text()
    page.screenshot(path=shots / "app_diff.png")
