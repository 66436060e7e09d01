"""Start the workbench: open the KB, build the app, bind 127.0.0.1, say where it is, optionally open a browser."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from oerlog.errors import Location, UsageError
from oerlog.workbench.app import create_app
from oerlog.workbench.state import Workbench

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def serve(
    kb: Path,
    workdir: Path,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the workbench for ``kb`` with ``workdir`` as the working folder until interrupted. ``port`` 0 picks
    a free port. The address is told through ``say`` once the server listens."""
    workdir = workdir.resolve()
    if not workdir.is_dir():
        raise UsageError(
            f"the working folder {str(workdir)!r} does not exist",
            Location(str(workdir)),
            value=str(workdir),
            example="oerlog serve --workdir ~/oerlog-werk",
            nl=f"de werkmap {str(workdir)!r} bestaat niet",
        )
    sock = _bind(port)
    wb = Workbench(kb, workdir)
    app = create_app(wb)
    real_port = sock.getsockname()[1]
    url = f"http://{HOST}:{real_port}/"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)

    def announce() -> None:
        wb.warm()
        say(f"oerlog workbench: {url}  (KB {wb.kb_path}, working folder {wb.workdir}; Ctrl-C stops it)")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        announce()

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        wb.close()
        sock.close()
    sys.stdout.flush()


def _bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (never another interface)."""
    if not 0 <= port <= 65535:
        raise UsageError(
            f"a port is 0..65535, not {port}",
            value=port,
            example="--port 8765",
            nl=f"een poort is 0..65535, niet {port}",
        )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {HOST}:{port}: {exc.strerror}",
            value=port,
            hint="another program uses the port; pick another",
            example="--port 8766",
            nl=f"kan niet luisteren op {HOST}:{port}: {exc.strerror}",
            hint_nl="een ander programma gebruikt de poort; kies een andere",
        ) from exc
    sock.listen(128)
    sock.set_inheritable(False)
    return sock
