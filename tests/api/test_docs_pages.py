"""/docs and /redoc load Swagger UI and ReDoc from this service, never from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.api.app import create_app


def test_docs_pages_load_their_assets_from_the_service(settings):
    client = TestClient(create_app(settings))
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert assets, r.text
        for url in assets:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url
        assert "http://" not in r.text and "https://" not in r.text, r.text
