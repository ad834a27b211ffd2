"""A local web app for the zoning concertation: a map, the choices, the gauges, the exports.

>>> from aplcore.app import serve
>>> serve("my-session", demo=True)  # doctest: +SKIP

The server (Starlette on uvicorn) is a thin layer over :class:`aplcore.zoning.ZoningSession`:
the browser draws what the library decides, every rule stays in :mod:`aplcore.zoning`. Every
script, style and map layer is served from the installed package (Leaflet is vendored in
``static/vendor``), so that the app works without a network. The session is kept in a folder
(see :mod:`aplcore.app.session`) and saved after every accepted step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

try:
    import starlette  # noqa: F401  # optional dependency
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = "the app needs Starlette and uvicorn: pip install 'aplcore[app]'."
    raise ImportError(msg) from exc

from ..errors import ParameterError
from .inputs import demo_inputs, read_stability, workbook_inputs
from .requests import new_token
from .server import LOCAL_HOSTS, create_app
from .session import AppSession, SessionSettings, export_outputs

__all__ = [
    "AppSession",
    "SessionSettings",
    "create_app",
    "demo_inputs",
    "export_outputs",
    "open_session",
    "read_stability",
    "running",
    "serve",
    "workbook_inputs",
]

logger = logging.getLogger(__name__)


def open_session(
    folder: str | os.PathLike[str],
    *,
    demo: bool = False,
    apl: str | os.PathLike[str] | None = None,
    apl_column: str | None = None,
    stability: str | os.PathLike[str] | pd.DataFrame | None = None,
    **options: Any,
) -> AppSession:
    """Open the session kept in ``folder``, or start one there.

    Parameters
    ----------
    folder
        The session folder: restored when it holds a session, created otherwise.
    demo
        Start from the bundled demo (Centre-Val de Loire, synthetic GP activity).
    apl, apl_column
        Start from the DREES workbook or an APL table (as ``aplcore zone``), zoning column
        ``apl_column`` (``apl_65`` for GP zonings).
    stability
        Zone probabilities per territory from a scenario run (a path or a table).
    **options
        Passed to :func:`workbook_inputs` (``year``, ``territories``, ``region``, ...).
    """
    folder = Path(folder)
    table = stability
    if stability is not None and not isinstance(stability, pd.DataFrame):
        table = read_stability(stability)
    if demo or apl is not None:
        if (folder / "inputs.parquet").exists():
            msg = (
                f"{folder} already holds a session; open it without --demo/--apl, or choose "
                "another folder."
            )
            raise ParameterError(msg)
        if demo:
            inputs, settings = demo_inputs()
        else:
            if apl_column is None:
                msg = "give the APL column to zone on (apl_column=, e.g. 'apl_65')."
                raise ParameterError(msg)
            inputs, settings = workbook_inputs(apl, column=apl_column, **options)
        return AppSession(folder, inputs, settings, stability=table)
    return AppSession(folder, stability=table)


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections wait for the server from now on: the address is announced
    return sock


def serve(
    app_session: AppSession,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    announce: Callable[[str], None] = logger.warning,
) -> None:
    """Run the app until interrupted.

    Parameters
    ----------
    app_session
        The session (:func:`open_session`).
    host, port
        Address to listen on; 127.0.0.1 by default. Another address requires the access
        token, announced with the address. Port 0 picks a free port.
    open_browser
        Open the default browser on the page.
    announce
        Called with the address to open (the CLI prints it).
    """
    import uvicorn  # optional dependency

    token = None if host in LOCAL_HOSTS else new_token()
    allowed = LOCAL_HOSTS if token is None else None
    app = create_app(app_session, token=token, allowed_hosts=allowed, warm_up=True)
    sock = _socket(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{actual}/" + (f"?token={token}" if token else "")
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    announce(f"aplcore app: session {app_session.folder} at {url} (Ctrl-C to stop)")
    if token:
        announce(f"access token (needed from another computer): {token}")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])


@contextlib.contextmanager
def running(
    app_session: AppSession, *, host: str = "127.0.0.1", port: int = 0, warm_up: bool = False
) -> Iterator[str]:
    """Run the app in a background thread while the ``with`` block runs; yields its address.

    For tests, benchmarks and notebooks; :func:`serve` runs it in the foreground. ``warm_up``
    builds the map layers (France included) ahead of the first page.
    """
    import uvicorn  # optional dependency

    allowed = LOCAL_HOSTS if host in LOCAL_HOSTS else None
    app = create_app(app_session, allowed_hosts=allowed, warm_up=warm_up)
    sock = _socket(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = "the app's server did not start (see the log)."
            raise RuntimeError(msg)
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
