"""The demo: a local devnet, the deployed suite, and one simulated day of a shared station
relayed by three oracle nodes (2-of-3), the grid operator's curtailment attestation, settlement
and credits, indexed and summarised."""

from __future__ import annotations

import os
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from devnet.anvil import Devnet, answers
from devnet.credits_demo import credit_demo_day
from devnet.curtailment_demo import attest_demo_dispatch
from devnet.oracle_config import demo_oracle_config, node_key_env, to_toml
from devnet.passport_demo import run_passport_story
from devnet.settlement_demo import settle_demo_day
from devnet.world import World, demo_world, register_world
from ledger.client import open_ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.index.tables import ReportRow
from ledger.keys import DEVNET_CHAIN_ID
from ledger.settings import LedgerSettings
from ledger.setup import open_or_deploy
from ledger.storage import StorageLedgerClient
from ledger.verify import verify_credit
from oracle.service import Clock, build_oracle, drain, run_due

INTERVALS = 96


def ensure_chain(settings: LedgerSettings, port: int, progress: Console | None) -> LedgerSettings:
    """Use the configured node if it answers; otherwise start the background devnet."""
    if answers(settings.rpc_url):
        return settings
    if progress:
        progress.print(f"starting a devnet on port {port} ...")
    rec = Devnet(settings.state_dir).up(port=port, hardfork=settings.evm_version)
    return settings.model_copy(update={"rpc_url": rec.url})


def run_demo(
    settings: LedgerSettings,
    *,
    port: int,
    progress: Console | None,
    world: World | None = None,
) -> dict[str, Any]:
    """The demo day on the configured chain (a devnet is started when none answers). `world`
    defaults to the demo world on anvil's keys; another chain needs a world of its own keys."""
    started = time.monotonic()
    settings = ensure_chain(settings, port, progress)

    def say(message: str) -> None:
        if progress:
            progress.print(message)

    say("compiling and deploying the contract suite ...")
    ledger = open_or_deploy(settings)
    world = world or demo_world()
    station_id = register_world(ledger, world)
    say(
        f"station {station_id}: {world.station.external_code}, "
        f"{len(world.participants)} participants, {len(world.devices)} devices, "
        f"{world.threshold}-of-{len(world.oracles)} oracles"
    )
    passports: list[dict[str, Any]] = []
    if ledger.chain_id == DEVNET_CHAIN_ID:  # the story's actors are anvil's keys 13-15
        say("battery passports: an EV pack repurposed into the station, daily health ...")
        passports = run_passport_story(
            ledger, world, station_id, settings.state_dir / "archive", say=say
        )

    off_devnet = ledger.chain_id != DEVNET_CHAIN_ID
    if off_devnet:  # inline keys are for the devnet only: the nodes read theirs from the env
        for i, node in enumerate(world.oracles):
            os.environ[node_key_env(i)] = "0x" + bytes(node.key).hex()
    oracle_cfg = demo_oracle_config(
        world,
        station_id=station_id,
        rpc_url=settings.rpc_url,
        deployments_dir=settings.deployments_dir,
        state_dir=settings.state_dir,
        intervals=INTERVALS,
        node_keys_from_env=off_devnet,
    )
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    config_path = settings.state_dir / "oracle.toml"
    config_path.write_text(to_toml(oracle_cfg))
    oracle = build_oracle(oracle_cfg, settings)
    readings = rejected = 0
    with Progress(console=progress, disable=progress is None, transient=True) as bar:
        task = bar.add_task("relaying the simulated day", total=INTERVALS)

        def tick(outcome: Any, confirmed: list[int]) -> None:
            nonlocal readings, rejected
            readings += outcome.readings
            rejected += outcome.rejected
            bar.advance(task)

        run_due(oracle, Clock(oracle_cfg.start, 0), on_interval=tick)
        drain(oracle)
    say("the grid operator attests the 10:00-16:00 curtailment dispatch of the generators ...")
    curtailment = attest_demo_dispatch(ledger, world, station_id, oracle_cfg.start)
    engine = make_engine(settings.database_url)
    indexer = Indexer(ledger, engine)
    indexer.run_once()
    say("settling the day: leases, fees, peak-shaving pay and losses; anchoring the statement ...")
    settlement = settle_demo_day(ledger, world, station_id, engine, oracle_cfg.start)
    say("issuing, selling and retiring credits for the day's avoided emissions ...")
    credits = credit_demo_day(ledger, world, station_id, engine)
    indexer.run_once()
    trace_ok = None
    if credits["sample_credit_id"] is not None:
        say(f"verifying credit #{credits['sample_credit_id']} from the chain and the archive ...")
        verdict = verify_credit(ledger, credits["sample_credit_id"], oracle_cfg.archive_dir)
        trace_ok = verdict.ok
        for failure in verdict.failures[:5]:
            say(f"  verify: {failure}")
    storage = StorageLedgerClient(ledger)
    return {
        **credits,
        **curtailment,
        "settlement": settlement,
        "trace_ok": trace_ok,
        "passports": passports,
        "chain_id": ledger.chain_id,
        "rpc_url": settings.rpc_url,
        "deployment_reused": ledger.deployment.reused,
        "contracts": {n: c.address for n, c in ledger.deployment.contracts.items()},
        "stations": [station_id],
        "participants": [
            {
                "name": p.name,
                "role": p.role,
                "address": p.address,
                "leased_wh": p.leased_wh,
                **storage.account_of(station_id, p.address).__dict__,
                "curtailed_wh": storage.curtailed_of(station_id, p.address),
                "avoided_grams": storage.avoided_of(station_id, p.address).avoided_grams,
            }
            for p in world.participants
        ],
        "readings": readings,
        "rejected_readings": rejected,
        "intervals_on_chain": intervals_on_chain(engine),
        "archive": str(oracle_cfg.archive_dir),
        "oracle_config": str(config_path),
        "database_url": settings.database_url,
        "seconds": round(time.monotonic() - started, 1),
    }


def intervals_on_chain(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(ReportRow)).one())


def print_summary(result: dict[str, Any], console: Console) -> None:
    console.print(f"chain {result['chain_id']} at {result['rpc_url']}")
    for name, address in result["contracts"].items():
        console.print(f"  {name:<18} {address}")
    console.print(
        f"{result['intervals_on_chain']} intervals on-chain from {result['readings']} readings "
        f"({result['rejected_readings']} rejected), batches in {result['archive']}"
    )
    for p in result["participants"]:
        console.print(
            f"  {p['name']:<22} charged {p['charged_wh'] / 1e6:8.2f} MWh  discharged "
            f"{p['discharged_wh'] / 1e6:8.2f} MWh  stored {p['balance_wh'] / 1e6:7.2f} MWh  "
            f"avoided {p['avoided_grams'] / 1e6:8.3f} tCO2e"
        )
    console.print(
        f"curtailment attested by the grid operator: "
        f"{result['curtailment_attested_wh'] / 1e6:.2f} MWh in "
        f"{result['curtailment_attested_intervals']} intervals"
    )
    st = result["settlement"]
    console.print(
        f"settlement {st['period']}: {st['lines']} lines, net {st['net_total'] / 100:,.2f} CNY, "
        f"{st['acknowledged']} acknowledged, {st['disputed']} disputed"
    )
    if result.get("sample_credit_id") is not None:
        console.print(
            f"credit #{result['sample_credit_id']}: {result['credits_issued_kg']} kgCO2e issued to "
            f"{result['credit_holder']}, {result['credits_retired_kg']} kg retired by "
            f"{result['credit_buyer']}; independent verification: "
            f"{'ok' if result['trace_ok'] else 'FAILED'}"
        )
    console.print(f"done in {result['seconds']} s")


def serve_forever(result: dict[str, Any], console: Console, *, port: int = 8000) -> None:
    """Serve the API over the demo's database and archive until Ctrl-C."""
    import uvicorn

    from api.app import create_app
    from api.settings import ApiSettings

    settings = LedgerSettings(rpc_url=result["rpc_url"])
    api_settings = ApiSettings(database_url=result["database_url"], archive_dir=result["archive"])
    # The API anchors statements and runs the daily settlement: it signs as the grid operator.
    operator = demo_world().grid_operator
    app = create_app(api_settings, ledger=open_ledger(settings, account=operator))
    console.print(
        f"console on http://127.0.0.1:{port}/console, API on http://127.0.0.1:{port}/docs "
        f"(try /v1/stations); the devnet keeps running at "
        f"{result['rpc_url']}. Ctrl-C stops the API; `essl devnet down` stops the chain."
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
