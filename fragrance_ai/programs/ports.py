"""The ports a program listens on: a busy one is named with the process that holds it.

A run killed with SIGKILL, or a child it left behind, keeps its ports; the message says
which process that is and how to stop it, so the user need not go looking.
"""

import errno
import socket

from aiohttp import web

from fragrance_ai.programs.lifecycle import StartupError


def port_holder(port: int) -> str | None:
    """`pid N (command line)` of the process listening on `port`, when it can be seen."""
    try:
        import psutil  # installed with the embedded parts; optional elsewhere
    except ImportError:
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return None
            try:
                command = " ".join(psutil.Process(conn.pid).cmdline())
            except psutil.Error:
                command = "?"
            return f"pid {conn.pid} ({command[:120]})"
    return None


def in_use(host: str, port: int) -> str:
    """Why `host:port` cannot be listened on: who holds it and how to stop them."""
    holder = port_holder(port)
    if holder is None:
        return f"address already in use (see `ss -ltnp 'sport = :{port}'`)"
    pid = holder.split()[1]
    return f"address already in use by {holder}; `kill {pid}` stops it"


def require_free(host: str, port: int, purpose: str) -> None:
    """Fail before anything starts when `host:port` is taken (port 0: any free one)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As aiohttp will: a port whose last connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            reason = in_use(host, port) if exc.errno == errno.EADDRINUSE else exc.strerror
            raise StartupError(f"cannot listen on {host}:{port} for {purpose}: {reason}") from None


async def start_site(runner: web.AppRunner, host: str, port: int, purpose: str) -> web.TCPSite:
    """Listen, or fail with a StartupError naming the address and what it was for."""
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        reason = in_use(host, port) if exc.errno == errno.EADDRINUSE else exc.strerror
        raise StartupError(f"cannot listen on {host}:{port} for {purpose}: {reason}") from None
    return site
