"""Run the fake Credly app on 127.0.0.1 in a background thread."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import FakeCredlyApp
from .state import FakeCredlyState


class _QuietHandler(WSGIRequestHandler):
    """Drops werkzeug's per-request access log: benchmarks would drown the output in it."""

    def log_request(self, code="-", size="-"):
        pass


class FakeCredlyServer:
    """
    A fake Credly reachable over HTTP; use as a context manager or call start()/stop().

    ``state`` is the live :class:`FakeCredlyState`, for tests in the same process;
    processes elsewhere use :class:`fake_credly.FakeCredlyControl` on ``url``.
    """

    def __init__(self, port: int = 0, *, seed: int = 0, quiet: bool = True, webhook_timeout: float = 2.0):
        self.port = port
        self.quiet = quiet
        self.state = FakeCredlyState(seed=seed, webhook_timeout=webhook_timeout)
        self.app = FakeCredlyApp(self.state)
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> "FakeCredlyServer":
        """Bind (port 0 picks a free one) and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True, request_handler=handler)
        self.port = self._server.server_port
        self.state.base_url = self.url
        # A short poll interval keeps stop() (and so each test session's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-credly-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests sleeping in a fault are woken so this returns promptly."""
        if self._server is None:
            return
        self.state.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def reset(self) -> None:
        self.state.reset()

    def serve_forever(self) -> None:
        """Serve in the calling thread (``python -m fake_credly``); Ctrl-C returns."""
        self.start()
        try:
            self._thread.join()
        finally:
            self.stop()

    @property
    def url(self) -> str:
        """Root URL without a trailing slash, e.g. ``http://127.0.0.1:8123``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/v1/"

    @property
    def web_base_url(self) -> str:
        return f"{self.url}/"

    @property
    def oauth_token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def __enter__(self) -> "FakeCredlyServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeCredlyServer {self.url if self._server else 'stopped'}>"
