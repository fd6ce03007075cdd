"""Faults of real services, for tests that prove nothing is lost when one is down at the wrong moment:
a TCP proxy between the app (or a worker) and PostgreSQL, RabbitMQ or Redis, which a test cuts or hangs.

    def test_...(fault_proxy):
        redis = fault_proxy("127.0.0.1", 6379)     # a proxy of its own on a free port
        url = f"redis://127.0.0.1:{redis.port}/0"   # give the app this address instead
        redis.cut()      # every connection closed at once, new ones refused
        redis.hang()     # connections accepted and held open, nothing forwarded either way
        redis.restore()  # forwarding again; what was cut stays cut, new connections work

No mock: the client talks to the real server through the proxy, and sees what it would see if the
server went away (a reset or a refused connection) or stopped answering (a read that never returns).
"""
from __future__ import annotations

import selectors
import socket
import threading

import pytest

FORWARD, CUT, HANG = "forward", "cut", "hang"


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target`, one thread for all connections, until `close()`."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.state = FORWARD
        self.accepted = 0  # connections the proxy let through: what a test may count
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._pairs: dict[socket.socket, socket.socket] = {}  # each end to its other end
        self._held: list[socket.socket] = []  # accepted while hanging: open, never answered
        self._paused: set[socket.socket] = set()  # forwarded ones, not read while hanging
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._running = True
        self._thread = threading.Thread(target=self._serve, name=f"fault-proxy-{self.port}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ what a test does

    def cut(self) -> None:
        """The service is gone: every open connection is reset, new ones are refused."""
        self._set(CUT)

    def hang(self) -> None:
        """The service stops answering: connections stay open, nothing passes either way."""
        self._set(HANG)

    def restore(self) -> None:
        """The service is back: new connections are forwarded (a cut connection stays cut)."""
        self._set(FORWARD)

    def close(self) -> None:
        self._running = False
        self._wake()
        self._thread.join(timeout=5)
        for sock in [*self._pairs, *self._held, self._listener, self._wake_r, self._wake_w]:
            sock.close()
        self._selector.close()

    # ------------------------------------------------------------------ the proxy's one thread

    def _set(self, state: str) -> None:
        with self._lock:
            self.state = state
        self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _serve(self) -> None:
        while self._running:
            for key, _ in self._selector.select(timeout=0.5):
                sock = key.fileobj
                if sock is self._wake_r:
                    self._wake_r.recv(4096)
                    self._apply_state()
                elif sock is self._listener:
                    self._accept()
                else:
                    self._relay(sock)

    def _apply_state(self) -> None:
        with self._lock:
            state = self.state
        if state == CUT:
            for sock in list(self._pairs) + self._held:
                self._drop(sock, reset=True)
            self._held.clear()
        elif state == HANG:  # stop reading: nothing passes, the sockets stay open
            for sock in self._pairs:
                if sock not in self._paused:
                    self._selector.unregister(sock)
                    self._paused.add(sock)
        else:
            for sock in self._paused:  # what was held back passes now
                self._selector.register(sock, selectors.EVENT_READ)
            self._paused.clear()
            for held in self._held:  # accepted while hanging, never answered: the client gave up
                _reset(held)
            self._held.clear()

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        with self._lock:
            state = self.state
        if state == CUT:
            _reset(client)
            return
        if state == HANG:
            self._held.append(client)
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        self.accepted += 1
        for sock in (client, server):
            sock.settimeout(5)  # read only when ready; a send waits for a slow reader, not forever
            self._selector.register(sock, selectors.EVENT_READ)
        self._pairs[client], self._pairs[server] = server, client

    def _relay(self, sock: socket.socket) -> None:
        if sock not in self._pairs:
            return
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(sock)
            return
        try:
            self._pairs[sock].sendall(data)
        except OSError:
            self._drop(sock)

    def _drop(self, sock: socket.socket, reset: bool = False) -> None:
        other = self._pairs.pop(sock, None)
        for end in (sock, other):
            if end is None:
                continue
            self._pairs.pop(end, None)
            if end in self._paused:
                self._paused.discard(end)
            else:
                try:
                    self._selector.unregister(end)
                except (KeyError, ValueError):
                    pass
            _reset(end) if reset else end.close()


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a crashed server's connections end (not a polite FIN)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    sock.close()


@pytest.fixture
def fault_proxy():
    """`fault_proxy(host, port)`: a FaultProxy to that service for this test, closed after it."""
    made: list[FaultProxy] = []

    def make(host: str, port: int) -> FaultProxy:
        proxy = FaultProxy(host, port)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()
