"""Reading past events as from a public RPC endpoint: a small HTTP proxy in front of the test
anvil refuses eth_getLogs ranges over a cap and answers two requests with a rate limit
(HTTP 429, then JSON-RPC -32005), as providers do; the paged reader still gets every log, in
order, equal to what anvil returns in one call."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from web3 import Web3

from ledger.client import Ledger
from ledger.logs import event_logs
from ledger.registry import RegistryClient

CAP = 5


class PublicRpc(BaseHTTPRequestHandler):
    upstream = ""
    calls = 0
    refused_ranges = 0
    rate_limited = 0

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        if request.get("method") == "eth_getLogs":
            cls.calls += 1
            params = request["params"][0]
            span = int(params["toBlock"], 16) - int(params["fromBlock"], 16) + 1
            if span > CAP:
                cls.refused_ranges += 1
                error = {"code": -32602, "message": f"block range too large, max {CAP} blocks"}
                self._reply(200, {"jsonrpc": "2.0", "id": request["id"], "error": error})
                return
            if cls.calls in (2, 4):
                cls.rate_limited += 1
                if cls.calls == 2:
                    self._reply(429, {"error": "Too Many Requests"})
                else:
                    error = {"code": -32005, "message": "rate limit exceeded"}
                    self._reply(200, {"jsonrpc": "2.0", "id": request["id"], "error": error})
                return
        answer = requests.post(cls.upstream, json=request, timeout=30)
        self._reply(answer.status_code, answer.json())


@pytest.fixture
def public_rpc(anvil_url: str) -> Iterator[str]:
    PublicRpc.upstream = anvil_url
    PublicRpc.calls = PublicRpc.refused_ranges = PublicRpc.rate_limited = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), PublicRpc)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_logs_are_read_whole_under_a_range_cap_and_rate_limits(
    ledger: Ledger, public_rpc: str
) -> None:
    registry = RegistryClient(ledger)
    first = int(ledger.w3.eth.block_number) + 1
    for i in range(12):  # one RoleGranted per block
        registry.grant("VERIFIER_ROLE", Web3.to_checksum_address(f"0x{i + 1:040x}"))
    head = int(ledger.w3.eth.block_number)
    assert head - first + 1 >= 12

    direct = registry.contract.events.RoleGranted().get_logs(from_block=first, to_block=head)
    through = Web3(Web3.HTTPProvider(public_rpc)).eth.contract(
        address=registry.contract.address, abi=registry.contract.abi
    )
    paged = event_logs(
        through.events.RoleGranted(), from_block=first, to_block=head, max_range=2 * CAP
    )
    assert [(e["blockNumber"], e["logIndex"]) for e in paged] == [
        (e["blockNumber"], e["logIndex"]) for e in direct
    ]
    assert len(paged) == 12
    assert PublicRpc.refused_ranges >= 1  # the first page was too wide: it was halved
    assert PublicRpc.rate_limited == 2  # and both rate limits were waited out
