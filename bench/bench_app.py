"""Benchmarks of ``aplcore app`` in a real headless Chromium (Debian's ``chromium``, Playwright).

Workload: the bundled demo of Centre-Val de Loire (1 754 communes, 82 EPCI as territories;
``APLCORE_BENCH_SIZE=small``: Indre, 241 communes, and no France view), the server on
127.0.0.1 with its map layers built at start (the France layers come from the per-user cache
after their first build).

Timed (wall clock from Python, so Playwright's round trips are included):

* ``choice``: the Apply button pressed until the page holds the new version, its gauges
  redrawn and the map restyled (the server classifies again, saves the session and answers
  the whole state); the page's own measure (click to the frame after the update) is kept in
  ``extra_info``;
* ``region_map_first_draw``: a new page opened until the région map is drawn;
* ``france_map_first_draw``: the France view chosen until its 35 000 communes are drawn.

Run::

    python -m pytest bench/bench_app.py --benchmark-enable
    APLCORE_BENCH_SIZE=small python -m pytest bench/bench_app.py --benchmark-disable
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from aplcore import study_area

SMALL = os.environ.get("APLCORE_BENCH_SIZE", "").lower() == "small"
CHROMIUM = os.environ.get("APLCORE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT = 60_000

sync_api = pytest.importorskip("playwright.sync_api")
app = pytest.importorskip("aplcore.app")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    area = study_area(departement="36") if SMALL else study_area(region="24")
    inputs, settings = app.demo_inputs(area)
    session = app.AppSession(tmp_path_factory.mktemp("app") / "session", inputs, settings)
    with app.running(session, warm_up=True) as url:
        region = sorted(set(inputs["region"]))[0]
        layers = [f"region/{name}.geojson?region={region}" for name in ("communes", "territories")]
        layers += [] if SMALL else ["france/communes.geojson", "france/departements.geojson"]
        for layer in layers:  # built at start; wait for them
            with urllib.request.urlopen(f"{url}api/map/{layer}", timeout=600) as answer:
                answer.read()
        yield session, url


def new_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("body[data-map-drawn]")
    return page


def test_choice(benchmark, browser, served):
    session, url = served
    page = new_page(browser, url)
    territories = session.session.zoning.territories
    territory = territories.query("zone == 'ZAC'").index[0]
    commune = str(session.inputs[session.inputs["territory"] == territory]["population"].idxmax())
    point = page.evaluate("(code) => window.aplApp.pointOf(code)", commune)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#options .opt")
    zones = iter(["HZ", "ZAC"] * 50)
    seen: list[float] = []

    def setup():
        zone = next(zones)
        page.wait_for_selector(f'#options .opt[data-zone="{zone}"][data-status="allowed"]')
        page.check(f'#options .opt[data-zone="{zone}"] input')
        page.fill("#reason", f"bench: {zone}")
        return (page.evaluate("document.body.dataset.version"),), {}

    def choose(version):
        page.click("#apply")
        page.wait_for_function(
            "(v) => document.body.dataset.version !== v && window.aplApp.timings.choice",
            arg=version,
            polling="raf",
        )
        seen.append(page.evaluate("window.aplApp.timings.choice"))
        page.evaluate("window.aplApp.timings.choice = null")

    rounds = 3 if SMALL else 15
    benchmark.group = "app | a choice until gauges and map are updated"
    benchmark.pedantic(choose, setup=setup, rounds=rounds, iterations=1)
    seen.sort()
    benchmark.extra_info.update(
        communes=len(session.inputs), in_page_median_ms=seen[len(seen) // 2], in_page_ms=seen
    )
    assert len(session.session.history()) == len(seen)  # every timed choice was applied


def test_region_map_first_draw(benchmark, browser, served):
    session, url = served
    pages = []

    def draw():
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT)
        page.goto(url)
        page.wait_for_selector("body[data-map-drawn]")
        pages.append(page)

    benchmark.group = "app | map first drawn"
    benchmark.pedantic(draw, rounds=3 if SMALL else 10, iterations=1)
    timings = [p.evaluate("window.aplApp.timings.mapDrawnSinceStart") for p in pages]
    benchmark.extra_info.update(communes=len(session.inputs), in_page_ms=sorted(timings))
    for page in pages:
        page.close()


@pytest.mark.skipif(SMALL, reason="the France view is timed in the full run only")
def test_france_map_first_draw(benchmark, browser, served):
    _, url = served
    pages = []

    def setup():
        pages.append(new_page(browser, url))
        return (pages[-1],), {}

    def draw(page):
        page.select_option("#scope", "france:")
        page.wait_for_selector('body[data-map-drawn="france:"]')

    benchmark.group = "app | map first drawn"
    benchmark.pedantic(draw, setup=setup, rounds=3, iterations=1)
    benchmark.extra_info["in_page_ms"] = [
        p.evaluate("window.aplApp.timings.mapDrawn") for p in pages
    ]
    for page in pages:
        page.close()
