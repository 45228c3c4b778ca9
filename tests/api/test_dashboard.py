"""GET / serves the dashboard: plain static files, nothing loaded from other sites."""

from __future__ import annotations

import re

from service.api.routers.dashboard import STATIC_DIR

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)
ALLOWED = {"http://www.w3.org"}  # the SVG namespace, never fetched


def test_page_and_assets_are_served(app_client):
    r = app_client.get("/", headers={"Authorization": ""})  # the page itself needs no key
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert 'src="/static/app.js"' in r.text and 'id="login-form"' in r.text
    for name in ("app.js", "api.js", "chart.js", "jobs.js", "models.js", "dom.js"):
        asset = app_client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert "javascript" in asset.headers["content-type"]
    assert app_client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert app_client.get("/static/missing.js").status_code == 404


def test_assets_load_nothing_from_elsewhere_and_resolve_their_imports():
    files = sorted(p for p in STATIC_DIR.iterdir() if p.suffix in {".html", ".js", ".css"})
    assert files
    for path in files:
        text = path.read_text()
        external = {m.group(0) for m in EXTERNAL.finditer(text)} - ALLOWED
        assert not external, f"{path.name} refers to {external}"
        for target in re.findall(r"""from\s+["']\./([\w.-]+)["']""", text):
            assert (STATIC_DIR / target).is_file(), f"{path.name} imports missing {target}"


def test_the_page_uses_the_api_with_the_key_from_session_storage():
    api = (STATIC_DIR / "api.js").read_text()
    assert "sessionStorage" in api and "Authorization" in api and "Bearer" in api
    assert "Last-Event-ID" in api and "/events" in api
    assert "localStorage" not in "".join(p.read_text() for p in STATIC_DIR.glob("*.js"))
