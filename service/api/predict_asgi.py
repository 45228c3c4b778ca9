"""The ASGI fast path of `POST /v1/models/{model_id}/predict`: the one hot route answered
without FastAPI's routing (predict is matched after about 20 routes) and dependency solving
(bearer -> caller -> tenant), which a profile showed cost more than the forward pass.

It is the innermost of the app's own middleware, so the request id, the predict latency
metric, the access log (observability.http), the key-required gate and the body gates
(body_limit) run for it as for any request. It then does what the route does, through the
same functions: the bearer key as HTTPBearer reads it and verified_caller (auth cache, key
lookup, rate limit), predict_body.predict_request (415, the model reference, the tenant's
cached model, the body), and errors through the app's own exception handlers in Starlette's
ExceptionMiddleware, so every answer is the route's, byte for byte. Anything else (another
method or path, a root path, BACKPROP_PREDICT_FAST_PATH=false) goes on to FastAPI.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Response
from fastapi.routing import APIRoute
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.deps import bearer_token, verified_caller
from service.api.predict_body import predict_request
from service.api.routers import models
from service.observability.asgi import HttpMiddleware


def _predict_route() -> APIRoute:
    """The FastAPI route this path stands in for (its path pattern and parameter)."""
    for route in models.router.routes:
        if isinstance(route, APIRoute) and route.endpoint is models.predict_route:
            return route
    raise LookupError("the predict route is not in the models router")


ROUTE = _predict_route()
PATH: re.Pattern[str] = ROUTE.path_regex
"""The route's own pattern (Starlette's compile_path of /v1/models/{model_id}/predict)."""


async def answer_predict(scope: Scope, receive: Receive, send: Send) -> None:
    """What predict_route answers, for a scope whose path_params hold the model reference;
    errors are raised for the exception handlers."""
    request = Request(scope, receive)
    caller = await verified_caller(request, bearer_token(scope))
    content = await predict_request(request, caller.tenant_id, scope["path_params"]["model_id"])
    await Response(content, media_type="application/json")(scope, receive, send)


class PredictFastPath(HttpMiddleware):
    """ASGI middleware: answers `POST /v1/models/{model_id}/predict` itself (see the
    module); every other request goes on to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._answer: ASGIApp | None = None

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST" and not scope.get("root_path"):
            match = PATH.match(scope["path"])
            fast_app = scope["app"]
            if match is not None and fast_app.state.settings.predict_fast_path:
                scope["path_params"] = _params(match)
                await self._answering(fast_app)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _answering(self, app: Any) -> ASGIApp:
        """answer_predict inside Starlette's ExceptionMiddleware holding the app's handlers
        (all but the 500/Exception one, which sits outermost, as FastAPI arranges them)."""
        if self._answer is None:
            handlers = {
                key: handler
                for key, handler in app.exception_handlers.items()
                if key not in (500, Exception)
            }
            self._answer = ExceptionMiddleware(answer_predict, handlers=handlers, debug=app.debug)
        return self._answer


def _params(match: re.Match[str]) -> dict[str, Any]:
    """The path parameters as Starlette's Route.matches converts them."""
    return {key: ROUTE.param_convertors[key].convert(v) for key, v in match.groupdict().items()}
