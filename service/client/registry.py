"""Client methods for /v1/registry: names, numbered versions and moving aliases."""

from __future__ import annotations

from typing import Any

from service.client.base import ClientBase, get_method, list_method


class RegistryApi(ClientBase):
    """Name models: `name@alias` and `name@version` then work wherever a model id goes."""

    def register_model(self, name: str, model_id: str) -> dict[str, Any]:
        """Register a model as the next version of `name`; {name, version, model_id, ...}."""
        body = {"model_id": model_id}
        return self._json("POST", f"/v1/registry/{name}/versions", json=body)

    list_registry = list_method("/v1/registry")
    get_registered = get_method("/v1/registry")
    """A registered name: its versions and aliases."""

    def set_alias(self, name: str, alias: str, version: int) -> dict[str, Any]:
        """Point `name@alias` at `version` (create or move it)."""
        body = {"version": version}
        return self._json("PUT", f"/v1/registry/{name}/aliases/{alias}", json=body)

    def delete_alias(self, name: str, alias: str) -> None:
        self._delete(f"/v1/registry/{name}/aliases/{alias}")

    def delete_version(self, name: str, version: int) -> None:
        self._delete(f"/v1/registry/{name}/versions/{version}")
