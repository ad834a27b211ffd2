"""The HTTP layer: a Starlette application over an :class:`~aplcore.app.session.AppSession`.

The browser only draws: every zone, gauge, refusal and breach comes from
:class:`aplcore.zoning.ZoningSession`. Every request is checked here (JSON shape, field types,
sizes, the session version, the access token, export names), and any refused request gets a
4xx answer with a one-line message; an unexpected failure gets a 500 with a short message
(the traceback goes to the log, never to the page).
"""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..datasets import load_communes
from ..errors import AplcoreError, InputFormatError, RequestError
from ..plots import ZONE_COLOURS
from ..zoning import METHOD_PRESETS, ZONE_NAMES, compare_zonings, read_choices, zoning_in_force
from . import geometry
from .requests import (
    MAX_BODY,
    MAX_REASON,
    TokenMiddleware,
    error_response,
    finite,
    http_error,
    json_body,
    level_field,
    population_field,
    records,
    text_field,
    unexpected_error,
)
from .session import (
    EXPORT_FILES,
    AppSession,
    SessionSettings,
    StaleVersionError,
    check_date,
    export_outputs,
    safe_folder_name,
)

logger = logging.getLogger(__name__)

__all__ = ["LOCAL_HOSTS", "create_app"]

#: Addresses served without a token.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def create_app(
    app_session: AppSession,
    *,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] | None = LOCAL_HOSTS,
    warm_up: bool = False,
) -> Starlette:
    """The web application of a session.

    Parameters
    ----------
    app_session
        The session folder and its zoning session.
    token
        When given, every request must carry it (``?token=`` once, then a cookie, or the
        ``X-Token`` header); required when the server listens on another address than this
        computer's.
    allowed_hosts
        ``Host`` headers accepted (against DNS rebinding); None for any.
    warm_up
        Build the map layers in a background thread right away (else on first request).
    """
    state = _State(app_session, token)
    if warm_up:
        threading.Thread(target=state.warm_up, name="aplcore-app-maps", daemon=True).start()
    static = resources.files("aplcore.app") / "static"
    routes = [
        Route("/", state.index),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/state", state.get_state),
        Route("/api/communes", state.communes),
        Route("/api/map/{scope}/{layer}", state.map_layer),
        Route("/api/options", state.options),
        Route("/api/choose", state.choose, methods=["POST"]),
        Route("/api/withdraw", state.withdraw, methods=["POST"]),
        Route("/api/undo", state.undo, methods=["POST"]),
        Route("/api/redo", state.redo, methods=["POST"]),
        Route("/api/settings", state.configure, methods=["POST"]),
        Route("/api/diff", state.diff, methods=["POST"]),
        Route("/api/export", state.export, methods=["POST"]),
        Route("/exports/{name}/{file}", state.download),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: http_error,
            StaleVersionError: functools.partial(error_response, 409),
            AplcoreError: functools.partial(error_response, 400),
            ValueError: functools.partial(error_response, 400),
            Exception: unexpected_error,
        },
    )
    app.add_middleware(TokenMiddleware, token=token)
    app.state.session = app_session
    return app


class _State:
    """The endpoints, around one session."""

    def __init__(self, app_session: AppSession, token: str | None) -> None:
        self.s = app_session
        self.token = token
        self.layers = geometry.Layers()
        self._options_cache: dict[tuple, dict[str, Any]] = {}
        inputs = app_session.inputs
        names = load_communes(france=True)["name"]
        self.names = names.reindex(inputs.index).fillna("").astype(str)

    # --- pages and data -------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        page = (resources.files("aplcore.app") / "static" / "index.html").read_text("utf-8")
        return Response(page, media_type="text/html; charset=utf-8")

    def _state(self) -> dict[str, Any]:
        s = self.s
        session = s.session
        z = session.zoning
        method = z.method
        zones = list(method.all_zones)
        inputs = s.inputs
        zone_of = z.communes["zone"].reindex(inputs.index)
        index = {zone: k for k, zone in enumerate(zones)}
        checks = z.checks.copy()
        checks["departement"] = checks["departement"].astype(str)
        qpv = z.qpv
        return {
            "version": s.version,
            "settings": s.settings.to_json(),
            "method": {
                "name": method.name,
                "kind": type(method).__name__,
                "zones": zones,
                "takes_thresholds": hasattr(method, "thresholds"),
                "thresholds": list(getattr(method, "thresholds", ()) or ()),
                "takes_caps": bool(method.takes_caps),
                "levels": ["territory", "commune", "qpv"]
                if method.level == "territory"
                else ["commune"],
            },
            "presets": sorted(METHOD_PRESETS),
            "labels": {zone: ZONE_NAMES.get(zone, zone) for zone in zones},
            "colours": {zone: ZONE_COLOURS.get(zone, "#999999") for zone in zones},
            "zone": [index.get(v, -1) for v in zone_of.tolist()],
            "gauges": records(session.gauges()),
            "checks": records(checks.drop(columns=["mandatory_over_cap"], errors="ignore")),
            "broken": records(session.broken()),
            "history": records(session.history()),
            "choices": records(session.choices),
            "can_undo": session.can_undo,
            "can_redo": session.can_redo,
            "qpv": records(qpv[["code", "commune", "population", "zone"]]) if len(qpv) else [],
            "regions": sorted(set(inputs["region"])),
            "stability": s.stability is not None,
        }

    async def get_state(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self._locked, self._state))

    def _locked(self, work: Callable[..., Any], *args: Any) -> Any:
        """``work(*args)`` with the session locked (in a worker thread: the event loop stays
        free for the other tabs and the map layers)."""
        with self.s.lock:
            return work(*args)

    async def communes(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self._communes))

    def _communes(self) -> dict[str, Any]:
        inputs = self.s.inputs
        return {
            "code": inputs.index.tolist(),
            "name": self.names.tolist(),
            "apl": [finite(v) for v in inputs["apl"].astype(float).round(3)],
            "population": [finite(v) for v in inputs["population"].astype(float)],
            "territory": self.s.territories()["territory"].tolist(),
            "departement": inputs["departement"].tolist(),
            "region": inputs["region"].tolist(),
            "inside": self.layers.get(
                ("inside",), functools.partial(geometry.inside_points, inputs.index)
            ),
        }

    async def map_layer(self, request: Request) -> Response:
        scope = request.path_params["scope"]
        layer = request.path_params["layer"]
        if scope not in geometry.SCALES:
            msg = f"map scope must be one of {', '.join(geometry.SCALES)}, found {scope!r}."
            raise RequestError(msg)
        region = request.query_params.get("region", "")
        if scope == "region" and region not in set(self.s.inputs["region"]):
            msg = f"région {region!r} is not in this session."
            raise RequestError(msg)
        if layer not in ("communes.geojson", "territories.geojson", "departements.geojson"):
            msg = f"unknown map layer {layer!r}."
            raise HTTPException(404, msg)
        if scope == "france" and layer == "territories.geojson":
            msg = "territory outlines are drawn in the région view only."
            raise HTTPException(404, msg)
        body = await run_in_threadpool(self._layer, scope, layer, region)
        return Response(
            body, media_type="application/geo+json", headers={"Cache-Control": "max-age=3600"}
        )

    def _layer(self, scope: str, layer: str, region: str) -> bytes:
        inputs = self.s.inputs
        if scope == "france":  # the same for every session: kept on disk
            if layer == "communes.geojson":
                build = functools.partial(geometry.commune_layer, _france_codes(), scope)
            else:
                groups = load_communes(france=True)["departement"].astype(str)
                build = functools.partial(geometry.outline_layer, groups, scope)
            return self.layers.get((layer, scope), build, on_disk=True)
        mine = self.s.territories()[inputs["region"] == region]
        if layer == "communes.geojson":
            build = functools.partial(geometry.commune_layer, mine.index, scope)
            return self.layers.get((layer, scope, region), build)
        column = "territory" if layer.startswith("territories") else "departement"
        build = functools.partial(geometry.outline_layer, mine[column], scope)
        return self.layers.get((layer, scope, region, self.s.settings.territories), build)

    def warm_up(self) -> None:
        """Build the map layers ahead of the first page (région views, then France)."""
        try:
            for region in sorted(set(self.s.inputs["region"])):
                for layer in ("communes.geojson", "territories.geojson", "departements.geojson"):
                    self._layer("region", layer, region)
            for layer in ("communes.geojson", "departements.geojson"):
                self._layer("france", layer, "")
        except Exception:  # the page builds what is missing and reports the failure
            logger.exception("map layers could not be prepared")

    async def options(self, request: Request) -> Response:
        params = dict(request.query_params)
        code = text_field(params, "code", limit=40)
        level = level_field(params)
        commune = text_field(params, "commune", required=False, limit=10) or None
        population = population_field(params.get("population"))
        info = await run_in_threadpool(
            self._locked, self._cached_options, code, level, commune, population
        )
        return JSONResponse(info)

    def _cached_options(
        self, code: str, level: str, commune: str | None, population: float | None
    ) -> dict[str, Any]:
        key = (self.s.version, code, level, commune, population)
        if key not in self._options_cache:
            self._options_cache = {
                k: v for k, v in self._options_cache.items() if k[0] == self.s.version
            }
            self._options_cache[key] = self._describe(code, level, commune, population)
        return self._options_cache[key]

    def _describe(
        self, code: str, level: str, commune: str | None, population: float | None
    ) -> dict[str, Any]:
        session = self.s.session
        z = session.zoning
        info: dict[str, Any] = {"code": code, "level": level}
        if level == "territory":
            if code not in z.territories.index:
                msg = f"no territory {code!r} in this session."
                raise RequestError(msg)
            row = z.territories.loc[code]
            info |= {
                "apl": finite(float(row["apl"])),
                "population": finite(float(row["population"])),
                "zone": str(row["zone"]),
                "proposal": str(session.proposal.territories.at[code, "zone"]),
                "communes": int(row["communes"]),
                "departement": str(row["departement"]),
                "region": str(row["region"]),
                "stability": self.s.stability_of(code),
            }
        elif level == "commune":
            if code not in z.communes.index:
                msg = f"no commune {code!r} in this session."
                raise RequestError(msg)
            row = z.communes.loc[code]
            info |= {
                "name": self.names.get(code, ""),
                "apl": finite(float(row["apl"])),
                "population": finite(float(row["population"])),
                "zone": str(row["zone"]),
                "territory": str(row["territory"]),
            }
        else:
            if commune is None or commune not in z.communes.index:
                msg = "a QPV needs its host commune (field 'commune'), a commune of the session."
                raise RequestError(msg)
            info |= {"commune": commune, "population": population}
        chosen = session.choices
        mine = chosen[(chosen["code"] == code) & (chosen["level"] == level)]
        info["chosen"] = records(mine)[0] if len(mine) else None
        info["options"] = records(
            session.zone_options(code, level=level, commune=commune, population=population)
        )
        return info

    # --- steps ----------------------------------------------------------------------------------

    async def choose(self, request: Request) -> Response:
        data = await json_body(request)
        code = text_field(data, "code", limit=40)
        level = level_field(data)
        zone = text_field(data, "zone", limit=40)
        reason = text_field(data, "reason", required=False, limit=MAX_REASON)
        if not reason:
            msg = "give the reason for this choice (it goes into the history and the annex)."
            raise RequestError(msg)
        commune = text_field(data, "commune", required=False, limit=10) or None
        population = population_field(data.get("population"))
        if level == "qpv" and (commune is None or population is None):
            msg = "a QPV choice needs its host commune and its population."
            raise RequestError(msg)
        choice = {"level": level, "reason": reason, "commune": commune, "population": population}
        state = await run_in_threadpool(
            self._locked, self._choose, data.get("version"), code, zone, choice
        )
        return JSONResponse(state)

    def _choose(self, version: Any, code: str, zone: str, choice: dict[str, Any]) -> dict:
        self.s.check_version(version)
        before = _broken_keys(self.s.session.broken())
        self.s.session.choose(code, zone, **choice)
        self.s.save()
        state = self._state()
        broken = self.s.session.broken()
        new = [k not in before for k in _broken_keys(broken, as_list=True)]
        state["breaches"] = records(broken[new])
        return state

    def _step(self, version: Any, step: Callable[[], Any]) -> dict[str, Any]:
        """A step on the session from a page that saw ``version``, saved, and the new state."""
        self.s.check_version(version)
        step()
        self.s.save()
        return self._state()

    async def withdraw(self, request: Request) -> Response:
        data = await json_body(request)
        code = text_field(data, "code", limit=40)
        level = level_field(data)
        step = functools.partial(self.s.session.withdraw, code, level=level)
        state = await run_in_threadpool(self._locked, self._step, data.get("version"), step)
        return JSONResponse(state)

    async def undo(self, request: Request) -> Response:
        return await self._move(request, "undo")

    async def redo(self, request: Request) -> Response:
        return await self._move(request, "redo")

    async def _move(self, request: Request, what: str) -> Response:
        data = await json_body(request)
        step = getattr(self.s.session, what)
        state = await run_in_threadpool(self._locked, self._step, data.get("version"), step)
        return JSONResponse(state)

    async def configure(self, request: Request) -> Response:
        data = await json_body(request)
        version = data.pop("version", None)
        settings = SessionSettings.from_json(data, where="the settings form")
        state = await run_in_threadpool(self._locked, self._configure, version, settings)
        return JSONResponse(state)

    def _configure(self, version: Any, settings: SessionSettings) -> dict[str, Any]:
        self.s.check_version(version)
        self.s.configure(settings)
        self._options_cache.clear()
        return self._state()

    # --- comparison and exports -------------------------------------------------------------------

    async def diff(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind not in ("session", "national"):
            msg = "kind must be 'session' (a choices table) or 'national' (a national file)."
            raise RequestError(msg)
        body = await request.body()
        if not body:
            msg = "send the file to compare with as the request body."
            raise RequestError(msg)
        if len(body) > MAX_BODY:
            msg = f"file too large ({len(body)} bytes; at most {MAX_BODY})."
            raise RequestError(msg)
        name = Path(request.query_params.get("name", "upload.csv")).name or "upload.csv"
        suffix = (
            Path(name).suffix.lower()
            if Path(name).suffix.lower() in (".csv", ".xlsx", ".parquet", ".txt")
            else ".csv"
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"compared{suffix}"
            path.write_bytes(body)
            answer = await run_in_threadpool(self._locked, self._compare, kind, path, name)
        return JSONResponse(answer)

    def _compare(self, kind: str, path: Path, name: str) -> dict[str, Any]:
        session = self.s.session
        zoning = session.zoning
        if kind == "session":
            other = read_choices(path)
            table = session.diff(other)
            before = self.s.build(self.s.settings, _as_history(other)).zoning
            labels = (name, "this session")
        else:
            before = zoning_in_force(path)
            before = before[before.index.isin(zoning.communes.index)]
            if before.empty:
                msg = f"{name} has no commune of this session."
                raise InputFormatError(msg)
            table = None
            labels = ("in force", "this session")
        comparison = compare_zonings(before, zoning, labels=labels)
        communes = comparison.communes
        changed = communes[communes["before"] != communes["after"]]
        out: dict[str, Any] = {
            "labels": list(labels),
            "summary": comparison.summary(),
            "communes": {
                code: [str(b), str(a), str(d)]
                for code, b, a, d in zip(
                    changed.index,
                    changed["before"],
                    changed["after"],
                    changed["direction"],
                    strict=True,
                )
            },
            "transitions": records(comparison.transitions.reset_index()),
        }
        if table is not None:
            out["choices"] = records(table)
        return out

    async def export(self, request: Request) -> Response:
        data = await json_body(request)
        root = self.s.folder / "exports"
        root.mkdir(exist_ok=True)
        name = text_field(data, "name", limit=64)
        folder = safe_folder_name(name, root)
        date = check_date(text_field(data, "date_arrete", required=False, limit=20) or None)
        maps = data.get("maps", True)
        if not isinstance(maps, bool):
            msg = f"field 'maps' must be true or false, found {maps!r}."
            raise RequestError(msg)
        paths = await run_in_threadpool(
            self._locked, self._export, data.get("version"), folder, date, maps
        )
        files = [p.name for p in paths.values()] + ["choices.csv"]
        return JSONResponse(
            {
                "folder": str(folder),
                "files": [{"name": f, "url": f"/exports/{folder.name}/{f}"} for f in files],
            }
        )

    def _export(self, version: Any, folder: Path, date: str | None, maps: bool) -> dict[str, Path]:
        self.s.check_version(version)
        method = self.s.settings.method
        paths = export_outputs(self.s.session, folder, method=method, date_arrete=date, maps=maps)
        self.s.session.save(folder / "choices.csv")
        return paths

    async def download(self, request: Request) -> Response:
        root = self.s.folder / "exports"
        folder = safe_folder_name(request.path_params["name"], root)
        file = request.path_params["file"]
        if file not in (*EXPORT_FILES.values(), "choices.csv"):
            raise HTTPException(404, f"no export file named {file!r}.")
        path = folder / file
        if not path.is_file():
            raise HTTPException(404, f"{request.path_params['name']}/{file} was not exported.")
        return FileResponse(path, filename=file)


def _broken_keys(broken: pd.DataFrame, *, as_list: bool = False) -> Any:
    keys = list(zip(broken["region"], broken["departement"], broken["constraint"], strict=True))
    return keys if as_list else set(keys)


def _as_history(choices: pd.DataFrame) -> pd.DataFrame:
    frame = choices.copy()
    frame.insert(0, "action", "choose")
    return frame


@functools.lru_cache(maxsize=1)
def _france_codes() -> pd.Index:
    return load_communes(france=True).index
