"""Browser tests: the explorer served on a free localhost port, driven by Playwright in Debian's Chromium.

Chromium comes from the system (``scripts/install-browser.sh`` installs it with apt-get); Playwright's own
browser download is never used. Without ``/usr/bin/chromium`` (or without the ``playwright`` or ``dash``
packages) every test that needs the browser is skipped with the reason, except where ``KETASIM_REQUIRE_BROWSER=1``
(``.ci/run`` sets it, after installing the browser): there a missing browser fails the run. Screenshots go to a temporary folder, printed at the end of
the run (or to ``$KETASIM_SCREENSHOTS`` when set); they are never written into the repository.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1440, "height": 900}

_SHOTS: list[Path] = []


BROWSER_FIXTURES = {"browser", "page"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests that need a browser, with the reason, where Chromium or the web packages are missing."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: run scripts/install-browser.sh (Debian chromium) to run the browser tests"
    else:
        for module in ("playwright", "dash"):
            try:
                __import__(module)
            except ImportError:
                reason = f"the {module} package is not installed (pip install -e '.[web,e2e]')"
                break
    if reason is None:
        return
    if os.environ.get("KETASIM_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"KETASIM_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the screenshots of this run are."""
    if _SHOTS:
        folder = _SHOTS[0].parent
        terminalreporter.write_line(f"browser screenshots ({len(_SHOTS)}): {folder}")


@pytest.fixture(scope="session")
def pk_target() -> dict[str, Any]:
    """The first pharmacokinetic target of the calibration targets (Zarate 2006 via Zanos 2018, Table 1): the
    plasma ketamine peak of one 0.5 mg/kg infusion over 40 min in the typical patient."""
    infusion = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
    return {
        "id": "pk-iv-05-cmax",
        "title": "Plasma ketamine at the end of a 0.5 mg/kg infusion over 40 min",
        "source": "Zarate 2006, as tabulated in Zanos 2018 Pharmacol Rev Table 1",
        "confidence": "medium",
        "protocol": {
            "ketasim": 1,
            "name": "single racemic ketamine infusion, typical patient",
            "duration": "2 d",
            "population": {"size": 1, "condition": "trd", "variability": False},
            "arms": [{"name": "ketamine", "treatments": [infusion]}],
            "observe": {"every": "5 min"},
        },
        "measure": {"arm": "ketamine", "output": "plasma_ketamine", "statistic": "max", "window": ["0 h", "4 h"]},
        "expected": 185,
        "band": [140, 240],
    }


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder for screenshots: ``$KETASIM_SCREENSHOTS`` or a fresh temporary one."""
    chosen = os.environ.get("KETASIM_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def shoot(screenshots: Path) -> Any:
    """Take a screenshot of a page into the screenshot folder: ``shoot(page, name, full_page=False)``."""

    def take(page: Any, name: str, *, full_page: bool = False) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        _SHOTS.append(path)
        return path

    return take


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The explorer, served by a real WSGI server on a free localhost port in a background thread."""
    from werkzeug.serving import make_server

    from ketasim.web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the test output
    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="ketasim-explorer", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium, headless, with a fresh profile and no background network traffic."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=DESKTOP,
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


class PageProblems:
    """Uncaught page errors, console errors and requests that left the local machine, collected during a test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []

    def watch(self, page: Any, allowed_prefixes: tuple[str, ...]) -> None:
        """Start collecting on ``page``."""
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(f"console: {message.text}"))
        page.on("request", lambda request: self._request(request.url, allowed_prefixes))

    def _request(self, url: str, allowed: tuple[str, ...]) -> None:
        if not url.startswith(allowed):
            self.external.append(url)


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[tuple[Any, PageProblems]]:
    """A new tab on the explorer (loaded), and the problems it reports; the test fails on any of them."""
    tab = browser.new_page()
    tab.set_viewport_size(DESKTOP)
    problems = PageProblems()
    problems.watch(tab, (server_url, "data:", "blob:", "about:"))
    tab.goto(server_url)
    tab.wait_for_selector("[data-testid=run]")
    try:
        yield tab, problems
    finally:
        tab.close()
    assert problems.errors == [], "the page reported errors"
    assert problems.external == [], "the page fetched something from outside the local server"
