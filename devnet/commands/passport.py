"""`essl passport ...`: create (or repurpose / remanufacture), status, transfer, install,
remove, show, export and verify battery passports. Each write signs with the acting party's own
key (--key-env or --keystore)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from web3 import Web3

from devnet.commands.common import (
    DEFAULT_KEY_ENV,
    KeyEnvOption,
    KeystoreOption,
    RpcOption,
    out,
    recorded_address,
    settings_with,
    signing_ledger,
)
from ledger.passports import Category, PassportParams, PassportsClient, Status, created_key

passport_app = typer.Typer(
    help="Battery passports (EU 2023/1542, GB/T 34014) and second life: identity, status, "
    "custody, installation, daily health snapshots. Each write signs with the acting party's key.",
    no_args_is_help=True,
)

IdArgument = Annotated[
    str, typer.Argument(help="Passport: its ISO/IEC 15459 id, or its 0x key (keccak256 of the id).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
_STATUS_NAMES = {"reused": Status.REUSED, "waste": Status.WASTE}


def _signer(rpc: str | None, key_env: str, keystore: Path | None) -> PassportsClient:
    return PassportsClient(signing_ledger(rpc, key_env, keystore))


def _reader(rpc: str | None) -> PassportsClient:
    from ledger.client import open_ledger

    return PassportsClient(open_ledger(settings_with(rpc)))


def _hash_arg(name: str, value: str) -> bytes:
    """0x + 64 hex as is; any other text is hashed (keccak256)."""
    body = value.removeprefix("0x")
    if value.startswith("0x") and len(body) == 64:
        try:
            return bytes.fromhex(body)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not hex", param_hint=name) from None
    return bytes(Web3.keccak(text=value))


@passport_app.command("create")
def create(
    passport_id: Annotated[str, typer.Argument(help="ISO/IEC 15459 unique identifier.")],
    gbt_code: Annotated[str, typer.Option(help="GB/T 34014 code of the pack.")],
    manufacturer: Annotated[str, typer.Option(help="Manufacturer name or identifier.")],
    rated_capacity_wh: Annotated[int, typer.Option(help="Rated capacity, Wh.")],
    chemistry: Annotated[str, typer.Option(help="Chemistry, e.g. LFP/graphite.")] = "LFP/graphite",
    category: Annotated[str, typer.Option(help="ev | industrial | lmt | sli.")] = "industrial",
    nominal_voltage_mv: Annotated[int, typer.Option(help="Nominal voltage, mV.")] = 0,
    expected_cycle_life: Annotated[int, typer.Option(help="Expected full cycles to 80 % SOH.")] = 0,
    manufactured_at: Annotated[int, typer.Option(help="Manufacture date, unix seconds.")] = 0,
    carbon_footprint: Annotated[
        int, typer.Option(help="Declared carbon footprint, gCO2e per kWh of capacity.")
    ] = 0,
    attributes: Annotated[
        str, typer.Option(help="Static attribute document: a file (hashed) or a 0x hash.")
    ] = "",
    owner: Annotated[str | None, typer.Option(help="First owner (default: the signer).")] = None,
    predecessor: Annotated[
        str | None,
        typer.Option(help="Repurpose this passport: the new one is linked to it, it is closed."),
    ] = None,
    remanufactured: Annotated[
        bool, typer.Option(help="With --predecessor: remanufactured instead of repurposed.")
    ] = False,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Create a passport (signer: ECONOMIC_OPERATOR_ROLE). Prints its key."""
    try:
        cat = Category[category.upper()]
    except KeyError:
        raise typer.BadParameter(
            f"{category!r}: one of ev, industrial, lmt, sli", param_hint="--category"
        ) from None
    if attributes and Path(attributes).is_file():
        attributes_hash = bytes(Web3.keccak(Path(attributes).read_bytes()))
    else:
        attributes_hash = _hash_arg("--attributes", attributes) if attributes else bytes(32)
    client = _signer(rpc, key_env, keystore)
    params = PassportParams(
        passport_id=passport_id,
        gbt_code=gbt_code,
        manufacturer=manufacturer,
        chemistry=chemistry,
        category=cat,
        rated_capacity_wh=rated_capacity_wh,
        nominal_voltage_mv=nominal_voltage_mv,
        expected_cycle_life=expected_cycle_life,
        manufactured_at=manufactured_at,
        carbon_footprint_g_per_kwh=carbon_footprint,
        attributes_hash=attributes_hash,
        owner=owner or client.ledger.tx.address,
    )
    if predecessor is None:
        receipt = client.create(params)
    elif remanufactured:
        receipt = client.remanufacture(predecessor, params)
    else:
        receipt = client.repurpose(predecessor, params)
    out.print("0x" + created_key(client, receipt).hex())


@passport_app.command("status")
def status(
    passport: IdArgument,
    new_status: Annotated[
        str, typer.Argument(help="reused (economic operator) | waste (recycler).")
    ],
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Change the status on the same passport (repurpose: create --predecessor)."""
    target = _STATUS_NAMES.get(new_status.lower())
    if target is None:
        raise typer.BadParameter(
            f"{new_status!r}: reused or waste (repurpose/remanufacture: create --predecessor)",
            param_hint="NEW_STATUS",
        )
    client = _signer(rpc, key_env, keystore)
    if target is Status.WASTE:
        client.mark_waste(passport)
    else:
        client.set_status(passport, target)
    out.print(client.passport(passport).status.name.lower())


@passport_app.command("transfer")
def transfer(
    passport: IdArgument,
    owner: Annotated[
        str | None, typer.Option(help="New owner (signer: the current owner).")
    ] = None,
    holder: Annotated[
        str | None,
        typer.Option(help="New holder; alone, hands the pack over keeping the owner."),
    ] = None,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Transfer ownership and/or physical custody."""
    if owner is None and holder is None:
        raise typer.BadParameter("give --owner, --holder or both", param_hint="--owner")
    client = _signer(rpc, key_env, keystore)
    if owner is not None:
        client.transfer(passport, owner, holder)
    else:
        client.hand_over(passport, holder or "")
    p = client.passport(passport)
    out.print(f"owner {p.owner} holder {p.holder}")


@passport_app.command("install")
def install(
    passport: IdArgument,
    station: Annotated[int, typer.Option(help="Registry station id.")],
    bms: Annotated[int, typer.Option(help="Registry device id of the pack's BMS.")],
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Install the pack (signer: its holder, the station's operator)."""
    client = _signer(rpc, key_env, keystore)
    client.install(passport, station, bms)
    out.print(f"installed in station {station}, measured by device {bms}")


@passport_app.command("remove")
def remove(
    passport: IdArgument,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Remove the pack from its station (signer: holder or station operator)."""
    _signer(rpc, key_env, keystore).remove(passport)
    out.print("removed")


def passport_json(client: PassportsClient, ref: str | bytes) -> dict[str, Any]:
    """The passport, its lineage, trajectory, snapshot series and model assessment as JSON."""
    from ledger.passport_model import assess

    p = client.passport(ref)
    created = client.created(p.key)
    series = client.snapshots(p.key)
    return {
        "key": "0x" + p.key.hex(),
        "passport_id": created.params.passport_id,
        "gbt_code": created.params.gbt_code,
        "status": p.status.name.lower(),
        "closed": p.closed,
        "owner": p.owner,
        "holder": p.holder,
        "station_id": p.station_id,
        "bms_device": p.bms_device,
        "predecessor": None if p.predecessor is None else "0x" + p.predecessor.hex(),
        "successor": None if p.successor is None else "0x" + p.successor.hex(),
        "lineage": ["0x" + x.key.hex() for x in client.lineage(p.key)],
        "attributes": {
            k: (
                v.name.lower()
                if isinstance(v, Category)
                else "0x" + v.hex()
                if isinstance(v, bytes)
                else v
            )
            for k, v in created.params.__dict__.items()
        },
        "health": {
            "last_day": p.last_day,
            "soh_bps": p.soh_bps,
            "cycle_count": p.cycle_count,
            "charged_wh_total": p.charged_wh_total,
            "discharged_wh_total": p.discharged_wh_total,
            "snapshots": len(series),
        },
        "history": [
            {"event": e.event, "block": e.block, "tx": e.tx_hash, **e.detail}
            for e in client.history(p.key)
            if e.event != "PassportCreated"
        ],
        "assessment": assess(created.params, [a.snapshot for a in series]).to_json()
        if series
        else None,
    }


@passport_app.command("show")
def show(passport: IdArgument, as_json: JsonOption = False, rpc: RpcOption = None) -> None:
    """A passport with its predecessor chain, custody and installation history and health."""
    data = passport_json(_reader(rpc), passport)
    if as_json:
        sys.stdout.write(json.dumps(data, sort_keys=True) + "\n")
        return
    out.print(
        f"{data['passport_id']} ({data['key']}) status {data['status']}"
        + (" (closed)" if data["closed"] else "")
    )
    out.print(f"  GB/T 34014 {data['gbt_code']}  owner {data['owner']}  holder {data['holder']}")
    if data["station_id"]:
        out.print(f"  installed in station {data['station_id']}, BMS device {data['bms_device']}")
    out.print(f"  lineage {' <- '.join(data['lineage'])}")
    h = data["health"]
    out.print(
        f"  {h['snapshots']} snapshots; SOH {h['soh_bps'] / 100:.2f} %, {h['cycle_count']} cycles"
    )
    if data["assessment"]:
        a = data["assessment"]
        out.print(
            f"  model v{a['model_version']}: {a['eligibility']['value']}, "
            f"RUL {a['remaining_cycles']['value']} cycles / {a['remaining_years']['value']} years, "
            f"safety {a['safety']['value']}"
        )
    for e in data["history"]:
        out.print(f"  block {e['block']}: {e['event']}")


@passport_app.command("export")
def export(
    passport: IdArgument,
    public_only: Annotated[
        bool, typer.Option("--public", help="Only the attributes the regulation makes public.")
    ] = False,
    rpc: RpcOption = None,
) -> None:
    """The passport in the Battery Pass data-attribute names (one JSON object)."""
    from ledger.passport_export import export_passport

    client = _reader(rpc)
    data = export_passport(client, passport, public_only=public_only)
    sys.stdout.write(json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n")


@passport_app.command("verify")
def verify(
    passport: IdArgument,
    rpc: RpcOption = None,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            metavar="DIR_OR_URL",
            help="Telemetry batch files: a directory or an API base URL (default: "
            "ESSL_STATE_DIR/archive).",
        ),
    ] = None,
    passports_address: Annotated[
        str | None,
        typer.Option("--passports", metavar="ADDRESS", help="BatteryPassports address."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Processes checking days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Trust only the chain and the archive: every snapshot's oracle signatures and every day's
    summary recomputed from the signed BMS readings. Exit 1 naming what failed."""
    from web3.exceptions import Web3Exception

    from devnet.commands.verify import print_verdict
    from ledger.compile import compile_suite
    from ledger.tx import connect
    from ledger.verify.passport import PassportFacts, verify_passport_on_chain
    from ledger.verify.verdict import Verdict

    settings = settings_with(rpc)
    w3 = connect(settings.rpc_url)
    chain_id = int(w3.eth.chain_id)
    if passports_address is None:
        passports_address = recorded_address(settings, chain_id, "BatteryPassports", "--passports")
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    source = archive or str(settings.state_dir / "archive")
    try:
        facts = PassportFacts(w3, build, passports_address)
        verdict = verify_passport_on_chain(facts, passport, source, workers=workers)
    except (LookupError, Web3Exception, ValueError) as exc:
        verdict = Verdict(subject=f"passport {passport}", chain_id=chain_id)
        verdict.fail("chain", f"chain {chain_id} at {settings.rpc_url}", str(exc))
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_json(), sort_keys=True) + "\n")
    else:
        print_verdict(verdict)
    raise typer.Exit(0 if verdict.ok else 1)
