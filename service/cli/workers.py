"""`backprop api --workers N`: N uvicorn server processes on one port, each listening on a
socket of its own bound with SO_REUSEPORT, so the kernel spreads new connections among
them by a hash of each connection's addresses.

uvicorn's own --workers processes share one listening socket, and whichever process wakes
first accepts every connection waiting: of 16 keep-alive connections opened at once (as a
load generator or a proxy's pool opens them), one process took all 16 in one trial of ten
on a 2-core machine and 13 or more in four, leaving the other process idle. Where the
kernel does not balance SO_REUSEPORT sockets (anything but Linux), uvicorn's supervisor
runs the processes instead.

The supervisor here holds the port with a bound socket that never listens (so a port in
use is an error at once), starts the processes (spawned: each imports and builds its own
app), starts a new one when one dies after it served (a crash is logged), and stops them
all on SIGINT or SIGTERM, each with its shutdown grace; if the supervisor itself is killed,
Linux sends its processes SIGTERM (PR_SET_PDEATHSIG). A process that fails to start
(the app factory or its start-up raises) stops them all: it would fail the same way again.
Unlike a shared socket, a socket of its own takes its waiting connections (accepted by
the kernel, not yet by the process) with it when a process dies: they are reset.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from service.cli.serving import server_options

log = logging.getLogger(__name__)
CHECK_SECONDS = 0.5
"""How often the supervisor looks for processes that died."""
STOP_MARGIN_SECONDS = 10.0
"""A process still running this long after its shutdown grace is killed."""
PR_SET_PDEATHSIG = 1
"""prctl option (linux/prctl.h): the signal a process gets when its parent dies."""


def balances_reuse_port() -> bool:
    """Whether this kernel spreads connections among SO_REUSEPORT listeners (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) with SO_REUSEADDR and SO_REUSEPORT, not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def stop_with_parent(parent: int) -> None:
    """Ask Linux for SIGTERM (a graceful stop) when the parent process dies, so a
    supervisor killed outright (SIGKILL, a crash) leaves no server process behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG): errno %d", ctypes.get_errno())
    if os.getppid() != parent:  # it died before the request
        os.kill(os.getpid(), signal.SIGTERM)


def serve_process(factory: str, host: str, port: int, grace: float, parent: int) -> None:
    """One server process: the app that `factory` ("module:function") builds, served on a
    listening socket of its own, stopped when `parent` (the supervisor) dies; exits with
    uvicorn's STARTUP_FAILURE code if it never started serving."""
    stop_with_parent(parent)
    config = uvicorn.Config(factory, factory=True, **server_options(host, port, grace))
    server = uvicorn.Server(config)
    try:
        sock = reuse_port_socket(host, port)
        sock.listen(config.backlog)
        server.run(sockets=[sock])
    except Exception:
        if server.started:
            raise
        log.exception("an API process failed to start")
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Runs `processes` serve_process processes until SIGINT or SIGTERM (see the module)."""

    def __init__(self, factory: str, host: str, port: int, grace: float, processes: int):
        self.args = (factory, host, port, grace)
        self.grace = grace
        self.count = processes
        self.procs: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.failed = False

    def run(self) -> int:
        """Serve until told to stop; 0, or 1 if a process failed to start."""
        holder = reuse_port_socket(*self.args[1:3])  # holds the port; never listens
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        try:
            self.procs = [self._start() for _ in range(self.count)]
            while not self.stopping.wait(CHECK_SECONDS):
                self._replace_dead()
        finally:
            self._stop_all()
            holder.close()
        return 1 if self.failed else 0

    def _start(self) -> BaseProcess:
        proc = multiprocessing.get_context("spawn").Process(
            target=serve_process, args=(*self.args, os.getpid()), name="backprop-api"
        )
        proc.start()
        return proc

    def _replace_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.is_alive() or self.stopping.is_set():
                continue
            proc.join()
            if proc.exitcode == STARTUP_FAILURE:
                log.error("API process %s failed to start; stopping them all", proc.pid)
                self.failed = True
                self.stopping.set()
                return
            log.warning("API process %s exited (%s); starting another", proc.pid, proc.exitcode)
            self.procs[i] = self._start()

    def _stop_all(self) -> None:
        """SIGTERM to every process (each then has its shutdown grace), SIGKILL to any still
        running STOP_MARGIN_SECONDS after that."""
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join(self.grace + STOP_MARGIN_SECONDS)
            if proc.is_alive():
                log.warning("API process %s did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.join()
