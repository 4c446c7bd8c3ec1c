"""`essl credits ...`: request, approve, reject, transfer, retire, revoke and show carbon
credits. Each write signs with the acting party's own key (--key-env or --keystore)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from web3 import Web3

from devnet.commands.common import (
    DEFAULT_KEY_ENV,
    KeyEnvOption,
    KeystoreOption,
    RpcOption,
    out,
    settings_with,
    signing_ledger,
)
from ledger.client import Ledger
from ledger.credits import CreditsClient, RetireInfo
from ledger.reasons import optional_reason_hash, record_reason

credits_app = typer.Typer(
    help="Carbon credits: request -> verifier approval -> transfer / retire; regulator revoke. "
    "Each command signs with the acting party's own key.",
    no_args_is_help=True,
)

ReasonOption = Annotated[
    str,
    typer.Option(
        help="Reason text; its keccak256 hash goes on-chain (none: the zero hash) and the text "
        "is kept in the database's reason_texts when ESSL_DATABASE_URL is set."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _signer(rpc: str | None, key_env: str, keystore: Path | None) -> CreditsClient:
    """A CreditsClient signing as the chosen key."""
    return CreditsClient(signing_ledger(rpc, key_env, keystore))


def _reader(rpc: str | None) -> CreditsClient:
    from ledger.client import open_ledger

    return CreditsClient(open_ledger(settings_with(rpc)))


def _kept_reason(rpc: str | None, reason: str) -> bytes:
    """The reason's on-chain hash (the zero hash for none). With ESSL_DATABASE_URL set, the
    text is kept in its reason_texts first, so the hash sent never lacks its text (as
    `essl settle dispute` does)."""
    if not reason or not os.environ.get("ESSL_DATABASE_URL"):
        return optional_reason_hash(reason)
    from ledger.db import make_engine

    engine = make_engine(settings_with(rpc).database_url)
    try:
        return record_reason(engine, reason)
    finally:
        engine.dispose()


def _unissued(ledger: Ledger, station: int, participant: str) -> tuple[int, int]:
    from ledger.storage import StorageLedgerClient

    account = StorageLedgerClient(ledger).avoided_of(station, participant)
    return account.unissued_grams, account.factor_version


@credits_app.command("request")
def request(
    station: Annotated[int, typer.Argument(help="Registry station id.")],
    period_start: Annotated[int, typer.Option(help="Vintage start, unix seconds.")],
    period_end: Annotated[int, typer.Option(help="Vintage end, unix seconds.")],
    grams: Annotated[
        int | None,
        typer.Option(help="gCO2e to convert (default: the whole un-issued balance)."),
    ] = None,
    participant: Annotated[
        str | None, typer.Option(help="Whose avoided emissions (default: the signer).")
    ] = None,
    methodology: Annotated[int, typer.Option(help="Methodology version applied.")] = 1,
    reports_root: Annotated[
        str, typer.Option(help="0x-hex Merkle root of the backing report keys.")
    ] = "0x" + "00" * 32,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Ask for credits against a participant's un-issued avoided emissions.

    Signed by the participant or the station operator. Prints the request id (= token id).
    """
    client = _signer(rpc, key_env, keystore)
    owner = Web3.to_checksum_address(participant or client.ledger.tx.address)
    unissued, factor_version = _unissued(client.ledger, station, owner)
    issuance = client.request_issuance(
        station,
        owner,
        unissued if grams is None else grams,
        period_start=period_start,
        period_end=period_end,
        factor_version=factor_version,
        methodology_version=methodology,
        reports_root=bytes.fromhex(reports_root.removeprefix("0x")),
    )
    out.print(f"requested: id {issuance.request_id} (tx {issuance.tx_hash})")


@credits_app.command("approve")
def approve(
    request_id: Annotated[int, typer.Argument(help="The request (= token) id.")],
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Approve a pending request (VERIFIER_ROLE): consume the grams and mint the credits."""
    issuance = _signer(rpc, key_env, keystore).approve(request_id)
    out.print(
        f"approved: id {request_id}, {issuance.units} units minted, "
        f"{issuance.consumed_grams} g consumed (tx {issuance.tx_hash})"
    )


@credits_app.command("reject")
def reject(
    request_id: Annotated[int, typer.Argument(help="The request (= token) id.")],
    reason: ReasonOption = "",
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Reject a pending request (VERIFIER_ROLE); nothing is consumed or minted. The reason's
    text is kept in reason_texts (ESSL_DATABASE_URL) before the transaction is sent."""
    client = _signer(rpc, key_env, keystore)
    digest = _kept_reason(rpc, reason)  # kept before sending: never a hash without its text
    tx_hash = client.reject(request_id, digest)
    out.print(f"rejected: id {request_id} (reason hash 0x{digest.hex()}, tx {tx_hash})")


@credits_app.command("transfer")
def transfer(
    token_id: Annotated[int, typer.Argument(help="Token id.")],
    to: Annotated[str, typer.Argument(help="Receiver address.")],
    amount: Annotated[int, typer.Argument(help="Units (1 unit = 1 kgCO2e).")],
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Transfer units of a live id from the signer to another address."""
    client = _signer(rpc, key_env, keystore)
    tx_hash = client.transfer(Web3.to_checksum_address(to), token_id, amount)
    out.print(f"transferred: {amount} units of id {token_id} to {to} (tx {tx_hash})")


@credits_app.command("retire")
def retire(
    token_id: Annotated[int, typer.Argument(help="Token id.")],
    amount: Annotated[int, typer.Argument(help="Units to retire (burn and claim).")],
    beneficiary: Annotated[str, typer.Option(help="Who the claim is made for.")],
    beneficiary_address: Annotated[
        str, typer.Option(help="The beneficiary's address, if any.")
    ] = "0x0000000000000000000000000000000000000000",
    period_start: Annotated[int, typer.Option(help="Claimed period start, unix s.")] = 0,
    period_end: Annotated[int, typer.Option(help="Claimed period end, unix s.")] = 0,
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code.")] = "CN",
    purpose: Annotated[str, typer.Option(help="Purpose of the claim.")] = "",
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Retire the signer's units: burn them and record the claim (claimedBalanceOf)."""
    info = RetireInfo(
        beneficiary=beneficiary,
        beneficiary_address=Web3.to_checksum_address(beneficiary_address),
        period_start=period_start,
        period_end=period_end,
        country=country,
        purpose=purpose,
    )
    tx_hash = _signer(rpc, key_env, keystore).retire(token_id, amount, info)
    out.print(f"retired: {amount} units of id {token_id} for {beneficiary} (tx {tx_hash})")


@credits_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="Token id.")],
    reason: ReasonOption = "",
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Revoke a live id (REGULATOR_ROLE): it can no longer move or be retired. The reason's
    text is kept in reason_texts (ESSL_DATABASE_URL) before the transaction is sent."""
    client = _signer(rpc, key_env, keystore)
    digest = _kept_reason(rpc, reason)  # kept before sending: never a hash without its text
    tx_hash = client.revoke(token_id, digest)
    out.print(f"revoked: id {token_id} (reason hash 0x{digest.hex()}, tx {tx_hash})")


@credits_app.command("show")
def show(
    token_id: Annotated[int, typer.Argument(help="Token id.")],
    holder: Annotated[
        str | None, typer.Option(help="Also show this address's balance and claim.")
    ] = None,
    as_json: JsonOption = False,
    rpc: RpcOption = None,
) -> None:
    """Show a token id as the chain has it: state, amounts and request data."""
    client = _reader(rpc)
    credit, amounts = client.credit(token_id), client.amounts(token_id)
    data: dict[str, object] = {
        **asdict(credit),
        "reports_root": "0x" + credit.reports_root.hex(),
        "state": credit.state.name.lower(),
        "issued": amounts.issued,
        "live": amounts.live,
        "retired": amounts.retired,
        "revoked": amounts.revoked,
    }
    if holder is not None:
        who = Web3.to_checksum_address(holder)
        data["holder"] = who
        data["balance"] = client.balance_of(who, token_id)
        data["claimed"] = client.claimed_balance_of(who, token_id)
    if as_json:
        out.print_json(json.dumps(data))
        return
    for key, value in data.items():
        out.print(f"{key:>20}: {value}")
