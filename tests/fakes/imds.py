"""App Service's managed identity endpoint (``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``) on
127.0.0.1, as MSAL's ManagedIdentityClient asks it: a token for the identity's client id, or the
error it answers for an identity the host does not have (400) or when it fails (500)."""

from __future__ import annotations

import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from tests.fakes.loopback import QuietJsonHandler


class Imds:
    def __init__(self) -> None:
        self.issued = 0  # tokens given
        self.asked = 0  # requests
        self.refusals: list[int] = []  # statuses to answer next, each once (400: no such identity)
        imds = self

        class Handler(QuietJsonHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                imds.asked += 1
                if imds.refusals:
                    status = imds.refusals.pop(0)
                    message = "No managed identity found for specified ClientId/ResourceId/PrincipalId."
                    body: dict[str, object] = {"statusCode": status, "message": message if status == 400 else "boom"}
                else:
                    status = 200
                    imds.issued += 1
                    body = {
                        "access_token": f"mi-token-{imds.issued}",
                        "expires_on": str(int(time.time()) + 86400),
                        "resource": "https://api.botframework.com",
                        "token_type": "Bearer",
                    }
                self.send_json(status, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/msi/token"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """MSAL finds it as on App Service (not through the test's HTTPS proxy)."""
        for name, value in (("IDENTITY_ENDPOINT", self.url), ("IDENTITY_HEADER", "h"), ("NO_PROXY", "127.0.0.1")):
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("no_proxy", "127.0.0.1")

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
