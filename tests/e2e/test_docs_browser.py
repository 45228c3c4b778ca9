"""/docs (Swagger UI) and /redoc (ReDoc) render every operation in headless Chromium with
no network beyond the service: their assets are served by the service itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, require_browser, start_service, wait_until

pytestmark = pytest.mark.e2e
METHODS = {"get", "post", "put", "patch", "delete"}
# ReDoc's footer tries this logo once and drops the <img> when it fails to load.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def operations(base: str) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the service's OpenAPI schema."""
    schema = httpx.get(f"{base}/openapi.json", timeout=10).json()
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def test_docs_and_redoc_render_offline(processes, tmp_path):
    sync_playwright = require_browser()
    base, _ = start_service(processes, tmp_path)
    host = urlsplit(base).netloc
    expected = operations(base)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    assert ("DELETE", "/v1/jobs/{job_id}") in expected and len(expected) > 15

    with sync_playwright() as pw:
        # every host name but 127.0.0.1 fails to resolve: the machine is offline
        args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            elsewhere: list[str] = []
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def only_this_service(route) -> None:  # noqa: ANN001
                if urlsplit(route.request.url).netloc == host:
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort("internetdisconnected")

            page.route("**/*", only_this_service)

            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            blocks = page.locator(".opblock")

            def shown() -> set[tuple[str, str]]:
                methods = blocks.locator(".opblock-summary-method").all_inner_texts()
                paths = blocks.locator(".opblock-summary-path").evaluate_all(
                    "els => els.map(e => e.dataset.path)"
                )
                return {(m.strip().upper(), p) for m, p in zip(methods, paths, strict=True)}

            wait_until(lambda: shown() == expected, 30, "Swagger UI to list every operation")
            assert "Backprop Service" in page.inner_text(".information-container")
            assert elsewhere == [], elsewhere
            page.screenshot(path=str(shots / "docs.png"))

            page.goto(f"{base}/redoc")
            page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
            sections = page.locator("[data-section-id^='operation/']")
            wait_until(lambda: sections.count() == len(expected), 30, "ReDoc's operations")
            assert "Backprop Service" in page.inner_text("h1")
            assert set(elsewhere) <= {REDOC_LOGO}, elsewhere
            logo = page.locator("img[alt='redocly logo']")
            wait_until(lambda: logo.count() == 0, 10, "ReDoc to drop its unreachable logo")
            page.screenshot(path=str(shots / "redoc.png"))
            assert not errors, errors
        finally:
            browser.close()
