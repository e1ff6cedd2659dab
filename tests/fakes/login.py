"""A fake of Microsoft's login services on 127.0.0.1, reached the way the real ones are: over
HTTPS, through an HTTPS proxy.

botbuilder's outbound credentials (``MicrosoftAppCredentials``) fetch their tokens with MSAL,
which only takes an ``https://`` authority and discovers the token endpoint from it; its signing
keys come from ``login.botframework.com`` with ``requests``. Neither can be pointed at a local
server without changing what is under test, so this fake is an HTTPS proxy (``HTTPS_PROXY``)
that answers every ``CONNECT`` itself, with a certificate for those hosts that a test trusts
(``REQUESTS_CA_BUNDLE``). Behind it:

- ``login.microsoftonline.com``: ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and
  ``POST /{tenant}/oauth2/v2.0/token`` (client credentials), recorded in :attr:`FakeLogin.tokens`.
  Told a ``secret``, it refuses any other as Azure AD does (401 ``invalid_client``,
  AADSTS7000215); told ``apps``, an app id not among them (400 ``unauthorized_client``,
  AADSTS700016); told ``tenants``, the discovery of any other fails (400, AADSTS90002);
  ``failures`` are statuses to answer the next token requests with (a 503); ``delay`` seconds it
  takes to answer one (an endpoint slower than the start-up waits); ``unreachable`` hosts the
  proxy answers 502 for (Azure AD out of reach); and
  ``GET /common/discovery/instance``, which MSAL asks after a refused token request;
- ``login.botframework.com``: the Bot Framework's OpenID metadata and the signing keys of an
  :class:`~tests.fakes.bot_connector.OpenIdServer` (which signs the inbound tokens).
"""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.loopback import QuietJsonHandler

AAD = "login.microsoftonline.com"
BOT_FRAMEWORK = "login.botframework.com"


@dataclass
class TokenRequest:
    tenant: str
    form: dict[str, str]


class FakeLogin:
    def __init__(self, folder: Path, keys: OpenIdServer):
        self.keys = keys
        self.tokens: list[TokenRequest] = []
        self.key_fetches = 0
        self.secret: str | None = None  # the app's one working secret (None: any)
        self.apps: set[str] | None = None  # the app ids registered (None: any)
        self.tenants: set[str] | None = None  # the tenants there are (None: any)
        self.failures: list[int] = []  # statuses for the next token requests
        self.delay = 0.0  # seconds before a token request is answered
        self.unreachable: set[str] = set()  # hosts the proxy cannot reach (502 to their CONNECT)
        self.ca_file = folder / "fake-login-ca.pem"
        self.context = self._certificate(folder)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._proxy())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The variables that send ``requests`` (botbuilder, MSAL) here, trusting this fake."""
        proxy = self.proxy_url
        return {"HTTPS_PROXY": proxy, "https_proxy": proxy, "REQUESTS_CA_BUNDLE": str(self.ca_file)}

    def __enter__(self) -> FakeLogin:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _certificate(self, folder: Path) -> ssl.SSLContext:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "decisionbot test login")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(AAD), x509.DNSName(BOT_FRAMEWORK)]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file = folder / "fake-login-key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        return context

    def _answer(self, host: str, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        parts = [part for part in path.split("?")[0].split("/") if part]  # MSAL may double a slash
        if host == AAD and method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            if self.tenants is not None and parts[0] not in self.tenants:
                described = (
                    f"AADSTS90002: Tenant '{parts[0]}' not found. Check to make sure you have the correct tenant ID."
                )
                return 400, {"error": "invalid_tenant", "error_description": described, "error_codes": [90002]}
            base = f"https://{AAD}/{parts[0]}"
            return 200, {
                "issuer": f"https://{AAD}/{parts[0]}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
            }
        if host == AAD and method == "GET" and parts == ["common", "discovery", "instance"]:
            # MSAL asks for the authority's aliases after a token request Azure AD refused
            aliases = [AAD, "login.windows.net", "login.microsoft.com", "sts.windows.net"]
            return 200, {
                "tenant_discovery_endpoint": f"https://{AAD}/common/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": AAD, "preferred_cache": "login.windows.net", "aliases": aliases}],
            }
        if host == AAD and method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            time.sleep(self.delay)
            self.tokens.append(TokenRequest(parts[0], form))
            refused = self._refusal(parts[0], form)
            if refused is not None:
                return refused
            token = f"token-{len(self.tokens)}-for-{form.get('client_id')}-from-{parts[0]}"
            return 200, {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token}
        if host == BOT_FRAMEWORK and method == "GET" and path == "/v1/.well-known/openidconfiguration":
            self.key_fetches += 1
            return 200, {"issuer": "https://api.botframework.com", "jwks_uri": f"https://{BOT_FRAMEWORK}/v1/keys"}
        if host == BOT_FRAMEWORK and method == "GET" and path == "/v1/keys":
            self.key_fetches += 1
            return 200, self.keys.jwks
        return 404, {"error": "not_found", "error_description": f"{method} https://{host}{path}"}

    def _refusal(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """Azure AD's answer to a token request it refuses (its texts, shortened), or None."""
        app = form.get("client_id")
        trace = "Trace ID: 0a1b2c3d Correlation ID: 4e5f6a7b Timestamp: 2026-11-28 10:00:00Z"
        if self.failures:
            status = self.failures.pop(0)
            return status, {"error": "temporarily_unavailable", "error_description": "AADSTS90033: busy."}
        if self.apps is not None and app not in self.apps:
            described = (
                f"AADSTS700016: Application with identifier '{app}' was not found in the directory '{tenant}'."
                f" This can happen if the application has not been installed by the administrator of the tenant. {trace}"
            )
            return 400, {"error": "unauthorized_client", "error_description": described, "error_codes": [700016]}
        if self.secret is not None and form.get("client_secret") != self.secret:
            described = (
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the"
                f" client secret value, not the client secret ID, for a secret added to app '{app}'. {trace}"
            )
            return 401, {"error": "invalid_client", "error_description": described, "error_codes": [7000215]}
        return None

    def _proxy(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Service(QuietJsonHandler):
            """One host's HTTPS service, on the connection a CONNECT opened."""

            protocol_version = "HTTP/1.1"
            host = ""

            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.send_json(*fake._answer(self.host, self.command, self.path, self.rfile.read(length)))

            do_GET = do_POST = _reply  # noqa: N815 - http.server's names

        class Proxy(BaseHTTPRequestHandler):
            def do_CONNECT(self) -> None:  # noqa: N802 - http.server's name
                host = self.path.split(":")[0]
                if host in fake.unreachable:  # as a proxy answers when the host does not
                    self.send_response(502, "Bad Gateway")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                try:
                    tls = fake.context.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                with tls:
                    service = type("HostService", (Service,), {"host": host})
                    service(tls, self.client_address, self.server)

            def log_message(self, *args: Any) -> None:
                pass

        return Proxy
