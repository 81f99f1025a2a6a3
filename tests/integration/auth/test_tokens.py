"""Tokens: HS256 JWTs on the app's clock; every bad token answers 401 with a Bearer challenge."""

from __future__ import annotations

import base64
import json
import os
import stat
from typing import Any

import jwt
import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"


@pytest.fixture
def token(app: TestApp, signup: Any) -> str:
    app.clock.set("2030-01-01T00:00:00Z")
    return str(signup(app)["token"])


def _secret(app: TestApp) -> bytes:
    return (app.data_dir / "secret.key").read_bytes().strip()


def _me(app: TestApp, token: str) -> Any:
    return app.get("/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_token_carries_the_contract_claims_on_the_app_clock(app: TestApp, token: str) -> None:
    claims = jwt.decode(
        token, _secret(app), algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert set(claims) == {"sub", "iat", "exp", "jti", "roles", "ver"}
    assert claims["sub"] == "1"
    assert claims["iat"] == 1893456000  # 2030-01-01T00:00:00Z, the app's clock, not the machine's
    assert claims["exp"] == claims["iat"] + 3600  # token_ttl from app.toml
    assert claims["roles"] == []
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_token_expires_on_the_app_clock(app: TestApp, token: str) -> None:
    app.clock.advance(seconds=3599)
    assert _me(app, token).status_code == 200
    app.clock.advance(seconds=1)
    response = _me(app, token)
    assert assert_error(response, 401, "unauthorized")["message"] == "the token has expired"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def _forge(claims: dict[str, Any], header: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join([part(json.dumps(header).encode()), part(json.dumps(claims).encode()), part(signature)])


def _claims(app: TestApp, token: str) -> dict[str, Any]:
    return jwt.decode(
        token, _secret(app), algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )


@pytest.mark.parametrize(
    "kind",
    [
        "tampered-payload",
        "wrong-key",
        "alg-none",
        "garbage",
        "truncated",
        "other-algorithm",
        "no-sub",
        "sub-not-a-number",
    ],
)
def test_bad_token_is_401_with_invalid_token_challenge(app: TestApp, token: str, kind: str) -> None:
    claims = _claims(app, token)
    forged = {
        "tampered-payload": lambda: (
            token.split(".")[0]
            + "."
            + _forge({**claims, "roles": ["admin"]}, {}).split(".")[1]
            + "."
            + token.split(".")[2]
        ),
        "wrong-key": lambda: jwt.encode(claims, "some other secret key of 32 bytes!", algorithm="HS256"),
        "alg-none": lambda: _forge(claims, {"alg": "none", "typ": "JWT"}),
        "garbage": lambda: "not.a.token",
        "truncated": lambda: token[:-5],
        "other-algorithm": lambda: jwt.encode(claims, _secret(app), algorithm="HS512"),
        "no-sub": lambda: jwt.encode(
            {k: v for k, v in claims.items() if k != "sub"}, _secret(app), algorithm="HS256"
        ),
        "sub-not-a-number": lambda: jwt.encode({**claims, "sub": "ann"}, _secret(app), algorithm="HS256"),
    }[kind]()
    response = _me(app, forged)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("header", ["Basic YW5uOnB3", "Bearer", "Bearer two words", "Token abc"])
def test_malformed_authorization_header_is_401(app: TestApp, token: str, header: str) -> None:
    response = app.get("/auth/me", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")


def test_bad_token_on_a_public_route_is_401_not_ignored(app: TestApp, token: str) -> None:
    assert app.get("/whoami").status_code == 200
    assert_error(app.get("/whoami", headers={"Authorization": "Bearer nonsense"}), 401, "unauthorized")


def test_token_of_a_deleted_user_is_401(app: TestApp, token: str) -> None:
    app.db["users"].delete(1)
    assert (
        assert_error(_me(app, token), 401, "unauthorized")["message"] == "the token's user no longer exists"
    )


def test_signing_secret_is_generated_once_and_owner_only(app: TestApp, token: str) -> None:
    path = app.data_dir / "secret.key"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    assert len(path.read_bytes().strip()) == 64
    again = app.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).json()["token"]
    assert _me(app, again).status_code == 200


def test_secret_from_app_secrets_signs_tokens(test_app: Any) -> None:
    app = test_app("auth-app", secrets={"KILN_SECRET_KEY": "a configured secret that is long enough"})
    token = app.as_user("bo@example.com").token
    claims = jwt.decode(
        token, "a configured secret that is long enough", algorithms=["HS256"], options={"verify_iat": False}
    )
    assert claims["sub"] == "1"
    assert not (app.data_dir / "secret.key").exists()


@pytest.mark.local_only("serves two instances of its own")
def test_two_apps_do_not_accept_each_others_tokens(test_app: Any) -> None:
    one, two = test_app("auth-app"), test_app("auth-app")
    token = one.as_user("ann@example.com").token
    two.as_user("ann@example.com")
    assert one.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert_error(two.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


@pytest.mark.local_only("sets the signing secret in the server's environment")
def test_secret_from_the_environment_signs_tokens(test_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILN_SECRET_KEY", "an environment secret, long enough for HS256")
    app = test_app("auth-app")
    token = app.as_user("cy@example.com").token
    claims = jwt.decode(
        token,
        "an environment secret, long enough for HS256",
        algorithms=["HS256"],
        options={"verify_iat": False},
    )
    assert claims["sub"] == "1"
    assert app.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert not (app.data_dir / "secret.key").exists()
