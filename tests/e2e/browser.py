"""Driving the dashboard in Debian's headless Chromium with Playwright: launch, sign in,
wait, and screenshots at the two window sizes the dashboard is checked at."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from processes import ProcessGroup, wait_healthy
from support import IN_CI, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SIZES = {"wide": (1400, 900), "narrow": (1000, 800)}
"""Window sizes (width, height in CSS pixels) every page must look tidy at."""
SHOTS_ENV = "BACKPROP_DASHBOARD_SHOTS"
"""When set, screenshots are also copied to this directory (to look at them)."""


def start_service(processes: ProcessGroup, tmp_path: Path) -> tuple[str, str]:
    """`backprop up` on a free port: its base URL and the API key it saved."""
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, up)
    return base, (tmp_path / "data" / "api-key.txt").read_text().strip()


def require_browser() -> Any:
    """Playwright's sync_playwright; skip (fail in CI) when it or Debian's chromium is missing."""
    missing = []
    if shutil.which(CHROMIUM) is None:
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
        sync_playwright = None
    if missing:
        message = "the dashboard browser test needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + " (CI=true: this test must run)")
        pytest.skip(message)
    return sync_playwright


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser, closed afterwards."""
    sync_playwright = require_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, base: str, key: str, size: str = "wide") -> tuple[Any, list[str]]:
    """A page of the given size signed in with `key` through the login form, and the list
    its uncaught script errors are collected in."""
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/")
    page.fill("#api-key", key)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#jobs-table")
    return page, errors


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def shoot(page: Any, directory: Path, name: str) -> Path:
    """Screenshot the whole page to directory/name-WIDTH.png after checking that it does
    not scroll sideways (also copied to $BACKPROP_DASHBOARD_SHOTS when set)."""
    width = page.viewport_size["width"]
    page.mouse.move(0, page.viewport_size["height"] - 1)  # no hover styles in the picture
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} scrolls sideways at {width} px ({scroll} px wide)"
    path = directory / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    if os.environ.get(SHOTS_ENV):
        Path(os.environ[SHOTS_ENV]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(os.environ[SHOTS_ENV]) / path.name)
    return path


def shoot_sizes(page: Any, directory: Path, name: str) -> None:
    """shoot() the page at every size in SIZES, ending at the first size."""
    for width, height in SIZES.values():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)  # let the layout settle after the resize
        shoot(page, directory, name)
    width, height = SIZES["wide"]
    page.set_viewport_size({"width": width, "height": height})
