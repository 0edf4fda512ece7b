"""The explorer's Dash application and the server behind ``ketasim serve``.

Dash serves its own scripts (plotly.js included) from the installed package, and the style sheet is inlined, so
the page works without a network. Request bodies are capped at `ketasim.web.limits.MAX_REQUEST_BYTES`.
"""

from __future__ import annotations

import socket

from dash import Dash

from ketasim.errors import KetasimError
from ketasim.web.callbacks import register
from ketasim.web.layout import page
from ketasim.web.limits import MAX_REQUEST_BYTES, RUN_TIME_LIMIT_S
from ketasim.web.style import INDEX

TITLE = "ketasim explorer"


def create_app(run_time_limit_s: float = RUN_TIME_LIMIT_S) -> Dash:
    """A new explorer application (layout and callbacks), ready for ``app.run`` or a WSGI server (``app.server``).

    Parameters
    ----------
    run_time_limit_s
        A run still going after this long is stopped at the end of its current chunk of patients.
    """
    app = Dash(
        __name__,
        title=TITLE,
        assets_folder="_no_assets",
        serve_locally=True,
        suppress_callback_exceptions=False,
        update_title="",
    )
    app.index_string = INDEX
    app.layout = page()
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES  # larger bodies: HTTP 413, before they are read
    register(app, run_time_limit_s)
    return app


def check_address(host: str, port: int) -> None:
    """Make sure the server can listen on ``host:port`` before starting it.

    Raises
    ------
    KetasimError
        The address is in use or cannot be bound, with what to do instead.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself does
            probe.bind(address)
    except OSError as failure:
        reason = failure.strerror or str(failure)
        raise KetasimError(f"cannot listen on {host}:{port}: {reason} (choose another --port or --host)") from None


def serve(
    host: str = "127.0.0.1", port: int = 8050, *, run_time_limit_s: float = RUN_TIME_LIMIT_S, debug: bool = False
) -> None:
    """Start the explorer on ``http://host:port`` and serve until interrupted (``run_time_limit_s``: see
    `create_app`)."""
    check_address(host, port)
    create_app(run_time_limit_s).run(host=host, port=port, debug=debug)
