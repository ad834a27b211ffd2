"""What the app accepts from a request: sizes, JSON fields, the access token; the error answers.

Every refused request is answered 4xx with a one-line message; an unexpected failure 500 with a
short one (the traceback goes to the log, never to the page).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import RequestError

logger = logging.getLogger(__name__)

#: Largest request body accepted (an uploaded national file or choices table).
MAX_BODY = 64 * 1024 * 1024
#: Largest JSON body of a step.
MAX_JSON = 64 * 1024
#: Longest reason kept with a choice.
MAX_REASON = 1000

TOKEN_COOKIE = "aplcore_token"
LEVELS = ("territory", "commune", "qpv")


def new_token() -> str:
    """A random access token."""
    return secrets.token_urlsafe(24)


# --- errors -----------------------------------------------------------------------------------


async def error_response(status: int, request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc), "kind": type(exc).__name__}, status_code=status)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected failure on %s", request.url.path, exc_info=exc)
    message = f"the server failed on this request ({type(exc).__name__}); see the terminal."
    return JSONResponse({"error": message}, status_code=500)


class TokenMiddleware:
    """Refuse requests without the token (when one is set); a valid ``?token=`` sets a
    cookie so that the page's own requests carry it."""

    def __init__(self, app: Callable, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = (
            request.query_params.get("token")
            or request.headers.get("x-token")
            or request.cookies.get(TOKEN_COOKIE)
            or ""
        )
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            response = JSONResponse(
                {
                    "error": "this server needs the access token printed in its terminal "
                    "(open the address with ?token=...)."
                },
                status_code=403,
            )
            await response(scope, receive, send)
            return
        if request.query_params.get("token"):

            async def send_with_cookie(message: dict) -> None:
                if message["type"] == "http.response.start":
                    cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        await self.app(scope, receive, send)


# --- request parsing --------------------------------------------------------------------------


async def json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_JSON:
        msg = f"request too large ({len(body)} bytes; at most {MAX_JSON})."
        raise RequestError(msg)
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"the request body must be JSON: {exc}."
        raise RequestError(msg) from None
    if not isinstance(data, dict):
        msg = f"the request body must be a JSON object, found {type(data).__name__}."
        raise RequestError(msg)
    return data


def text_field(data: dict[str, Any], key: str, *, required: bool = True, limit: int = 200) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            msg = f"field {key!r} is required."
            raise RequestError(msg)
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        msg = f"field {key!r} must be text, found {type(value).__name__}."
        raise RequestError(msg)
    text = str(value).strip()
    if len(text) > limit:
        msg = f"field {key!r} is too long ({len(text)} characters; at most {limit})."
        raise RequestError(msg)
    return text


def level_field(data: dict[str, Any]) -> str:
    level = text_field(data, "level", required=False) or "territory"
    if level not in LEVELS:
        msg = f"field 'level' must be one of {', '.join(LEVELS)}, found {level!r}."
        raise RequestError(msg)
    return level


def population_field(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        msg = f"field 'population' must be a non-negative number, found {value!r}."
        raise RequestError(msg)
    return number


def finite(value: Any) -> Any:
    """JSON has no infinity: None stands for no limit."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is None:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: finite(v) for k, v in row.items()} for row in frame.to_dict("records")]
