"""Tokens an attacker can make without Microsoft's signing key, each refused with 401 and
nothing stored or sent: expired, not yet valid, unsigned (``alg: none``), signed with HMAC
using the public key as the secret (algorithm confusion), naming a key the metadata does not
list, or without the service URL claim (a reply to any serviceUrl the body names: SSRF)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from tests.fakes.bot_connector import ISSUER, OpenIdServer
from tests.teams_support import ALICE, Harness, personal

APP_ID = "11111111-2222-3333-4444-555555555555"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-secret"}


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def forged_tokens(openid: OpenIdServer, service_url: str) -> dict[str, str]:
    now = int(time.time())
    good = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 10, "exp": now + 3600}
    signed = lambda claims, kid="k1": jwt.encode(claims, openid.key, algorithm="RS256", headers={"kid": kid})  # noqa: E731
    public_pem = openid.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs256 = ".".join([_b64({"alg": "HS256", "typ": "JWT", "kid": "k1"}), _b64(good)])
    import hashlib
    import hmac

    mac = hmac.new(public_pem, hs256.encode(), hashlib.sha256).digest()
    return {
        "expired an hour ago": signed({**good, "nbf": now - 7200, "exp": now - 3600}),
        "valid only in an hour": signed({**good, "nbf": now + 3600, "exp": now + 7200}),
        "alg none": ".".join([_b64({"alg": "none", "typ": "JWT", "kid": "k1"}), _b64(good), ""]),
        "HS256 keyed with the public key": hs256 + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode(),
        "unknown kid": signed(good, kid="k-unknown"),
        "no serviceurl claim": signed({k: v for k, v in good.items() if k != "serviceurl"}),
    }


async def test_tokens_forged_without_the_signing_key_are_refused_and_nothing_is_stored(
    tmp_path: Path, openid: OpenIdServer
) -> None:
    async with Harness(tmp_path, ENV) as h:
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        assert (await h.post(body, {"Authorization": f"Bearer {openid.token(APP_ID, h.url)}"})).status == 201
        await h.next_post(0)
        stored = [h.db(f"SELECT count(*) FROM {t}")[0][0] for t in ("deliveries", "runs", "messages")]
        sent = len(h.fake.calls)
        for name, token in forged_tokens(openid, h.url).items():
            forged = {**personal(h.url, ALICE, "start post_meeting Forged"), "id": f"forged-{name}"}
            resp = await h.post(forged, {"Authorization": f"Bearer {token}"})
            assert resp.status == 401, name
        assert [h.db(f"SELECT count(*) FROM {t}")[0][0] for t in ("deliveries", "runs", "messages")] == stored
        assert len(h.fake.calls) == sent


async def test_a_forged_token_gets_401_whatever_the_body_and_a_genuine_one_learns_what_is_wrong(
    tmp_path: Path, openid: OpenIdServer
) -> None:
    """The body was read and judged before the token: anyone with any 'Bearer x' got the parser's
    400 ("the body is not JSON (Expecting value ...)"), though a forged token gets 401."""
    async with Harness(tmp_path, ENV) as h:
        assert h.client is not None
        genuine = f"Bearer {openid.token(APP_ID, h.url)}"
        bodies = [b"not json", b"[1]", b'{"type": NaN}', b'{"text": "no type"}']
        for body in bodies:
            for token in ("Bearer aaa.bbb.ccc", *(f"Bearer {t}" for t in forged_tokens(openid, h.url).values())):
                headers = {"Authorization": token, "Content-Type": "application/json"}
                resp = await h.client.post("/api/messages", data=body, headers=headers)
                assert resp.status == 401, (body, token, await resp.text())
                assert (await resp.json())["error"].startswith("Unauthorized")
            headers = {"Authorization": genuine, "Content-Type": "application/json"}
            resp = await h.client.post("/api/messages", data=body, headers=headers)
            assert resp.status == 400, (body, await resp.text())
            assert (await resp.json())["error"].startswith("Not a usable activity"), body
        assert h.db("SELECT count(*) FROM deliveries")[0][0] == 0
