"""The oracle pipeline against a real anvil: quorum, relay, outage recovery."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from devnet.anvil import free_port
from ledger.client import Ledger
from ledger.storage import StorageLedgerClient
from oracle.archive import batch_path, read_batch
from oracle.errors import QuorumNotReached
from oracle.feed import Item
from oracle.outbox import OutboxState
from oracle.quorum import NodeView, OracleNode, Round, agree
from oracle.service import Clock, build_oracle, drain, run_due
from tests.oracle.chain import expected_counters, world_and_config


def test_a_day_slice_is_relayed_and_archived(ledger: Ledger, tmp_path: Path) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=8)
    oracle = build_oracle(config, ledger.settings)
    assert run_due(oracle, Clock(config.start, 0)) == 8
    drain(oracle)
    rows = oracle.outbox.rows(station)
    assert [r.state for r in rows] == [OutboxState.CONFIRMED] * 8
    storage = StorageLedgerClient(ledger)
    for participant, (charged, discharged) in expected_counters(ledger, config).items():
        account = storage.account_of(station, participant)
        assert (account.charged_wh, account.discharged_wh) == (charged, discharged)
    document, readings = read_batch(
        batch_path(config.archive_dir, bytes.fromhex(rows[0].readings_root[2:]))
    )
    assert document["interval_start"] == config.start and len(readings) == rows[0].accepted


def feed_node(node: OracleNode, transform: Callable[[list[Item]], list[Item]]) -> None:
    """Give one node its own (corrupted) copy of the device data, as a faulty link would."""
    compute = node.compute

    def corrupted(round_: Round) -> NodeView:
        return compute(dataclasses.replace(round_, items=transform(list(round_.items))))

    node.compute = corrupted  # type: ignore[method-assign]


def test_one_corrupted_node_refuses_and_the_other_two_reach_quorum(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=1)
    oracle = build_oracle(config, ledger.settings)
    odd = oracle.runtime.nodes[2]
    feed_node(odd, lambda items: items[:-1])  # one meter reading lost on its link
    outcome = oracle.runtime.process(config.start, now=config.start + 901)
    assert [name for name, _ in outcome.refusals] == [odd.name]
    why = outcome.refusals[0][1]
    assert "readings_root" in why and "reading_count" in why
    (row,) = oracle.outbox.rows(station)
    assert len(json.loads(row.signatures_json)) == 2
    assert odd.address not in {signer for signer, _ in json.loads(row.signatures_json)}
    assert oracle.relay.step(station) == [config.start]


def test_quorum_fails_loudly_when_two_nodes_disagree(ledger: Ledger, tmp_path: Path) -> None:
    _, _, config = world_and_config(ledger, tmp_path, intervals=1)
    oracle = build_oracle(config.model_copy(update={"threshold": 3}), ledger.settings)
    runtime = oracle.runtime
    items = list(runtime.feed.readings_for_interval(config.start))
    feed_node(runtime.nodes[1], lambda items: items[1:])
    with pytest.raises(QuorumNotReached, match="fewer than 3 nodes agree"):
        agree(
            runtime.nodes,
            3,
            Round(
                config.station_id,
                config.start,
                config.start + 900,
                items,
                now=config.start + 901,
                config_digest=runtime.chain.config_digest,
                chain_id=ledger.chain_id,
                ledger_address=runtime.chain.ledger_address,
            ),
        )


class _Proxy:
    """A JSON-RPC forwarder to anvil that can be switched off (connections dropped)."""

    def __init__(self, target: str) -> None:
        self.up = True
        self.lose_reply_to: set[str] = set()  # methods answered once by dropping the reply
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not proxy.up:
                    self.close_connection = True
                    self.connection.close()
                    return
                reply = requests.post(
                    target, data=body, headers={"content-type": "application/json"}, timeout=30
                )
                method = json.loads(body).get("method")
                if method in proxy.lose_reply_to:  # the node did it; the caller never hears
                    proxy.lose_reply_to.discard(method)
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(anvil_url: str) -> Iterator[_Proxy]:
    p = _Proxy(anvil_url)
    yield p
    p.server.shutdown()


def test_rpc_outage_then_recovery_catches_up_in_order(
    ledger: Ledger, tmp_path: Path, proxy: _Proxy
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=4)
    config = config.model_copy(update={"rpc_url": proxy.url})
    oracle = build_oracle(config, ledger.settings)
    oracle.relay.backoff_s = (0.05, 0.1)
    proxy.up = False
    for _ in range(3):  # intervals close while the chain is unreachable
        start = oracle.runtime.next_interval()
        oracle.runtime.process(start, now=start + 901)
        assert oracle.relay.step(station) == []
    assert oracle.relay.failures == 3
    assert all(r.state == "signed" for r in oracle.outbox.rows(station))
    proxy.up = True
    confirmed = oracle.relay.step(station)
    assert confirmed == [config.start + i * 900 for i in range(3)]
    assert oracle.relay.failures == 0
    assert StorageLedgerClient(ledger).latest_interval(station)[0] == config.start + 2 * 900


def test_a_broadcast_whose_reply_was_lost_is_booked_once(
    ledger: Ledger, tmp_path: Path, proxy: _Proxy
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=2)
    config = config.model_copy(update={"rpc_url": proxy.url})
    oracle = build_oracle(config, ledger.settings)
    for _ in range(2):
        start = oracle.runtime.next_interval()
        oracle.runtime.process(start, now=start + 901)
    proxy.lose_reply_to.add("eth_sendRawTransaction")
    drain(oracle)
    assert not proxy.lose_reply_to, "the reply was not lost"
    assert [r.state for r in oracle.outbox.rows(station)] == [OutboxState.CONFIRMED] * 2
    contract = ledger.contract("StorageLedger")
    accepted = contract.events.ReportAccepted().get_logs(
        from_block=0, argument_filters={"stationId": station}
    )
    duplicates = contract.events.ReportDuplicate().get_logs(
        from_block=0, argument_filters={"stationId": station}
    )
    assert len(accepted) == 2 and duplicates == []
