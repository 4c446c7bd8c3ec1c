"""Schema-driven fuzzing: schemathesis generates valid and invalid requests for every
operation of the app's own OpenAPI document, unauthenticated and with a participant's token,
over a real anvil and indexed data; no answer may be a server error or a status the document
does not declare for that operation. Bounded: a few examples per operation and mode."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from sqlalchemy import Engine

from api.app import create_app
from api.settings import ApiSettings
from devnet.world import World
from ledger.client import Ledger

EXAMPLES = 12  # per operation, mode and identity; keeps the whole test near a minute
BUDGET_S = 120


def _participant_token(client: TestClient, world: World) -> str:
    who = world.participants[0].account
    message = client.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
    reply = client.post("/v1/auth/token", json={"message": message, "signature": signature})
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["token"]
    return token


def _fuzz(
    operation: Any,
    mode: schemathesis.GenerationMode,
    name: str,
    headers: dict[str, str],
    documented: set[str],
    problems: list[str],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case: Any) -> None:
        response = case.call(headers=headers)
        status = str(response.status_code)
        if response.status_code >= 500 or status not in documented:
            problems.append(
                f"{operation.label} as {name} ({mode.value}): {status} "
                f"(documented {sorted(documented)}) for {case.as_curl_command()}\n"
                f"{response.text[:300]}"
            )

    try:
        probe()
    except Unsatisfiable:  # no invalid request exists for an operation without parameters
        assert mode is schemathesis.GenerationMode.NEGATIVE


def test_no_request_gets_a_server_error_or_an_undocumented_status(
    indexed: tuple[Ledger, int], world: World, engine: Engine, tmp_path: Path
) -> None:
    ledger, _ = indexed
    app = create_app(
        ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False),
        engine=engine,
        ledger=ledger,
    )
    token = _participant_token(TestClient(app), world)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    identities: dict[str, dict[str, str]] = {
        "anonymous": {},
        "participant": {"Authorization": f"Bearer {token}"},
    }
    problems: list[str] = []
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        documented = {str(s) for s in operation.definition.raw["responses"]}
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for name, headers in identities.items():
                _fuzz(operation, mode, name, headers, documented, problems)
        assert time.monotonic() - started < BUDGET_S, "the fuzz budget ran out"
    assert operations >= 14
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("DELETE", "/v1/health", "GET"), ("GET", "/v1/settlements", "POST")],
)
def test_a_wrong_method_answers_405_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    reply = client.request(method, path)
    assert reply.status_code == 405
    assert reply.headers["allow"] == allow
    assert reply.json()["error"]["code"] == "method_not_allowed"


def test_a_body_over_the_limit_gets_413(client: TestClient) -> None:
    big = b'{"address": "' + b"0" * 200_000 + b'"}'
    reply = client.post(
        "/v1/auth/challenge", content=big, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "too_large"
