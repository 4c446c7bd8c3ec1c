"""`essl verify CREDIT_ID`: trace a carbon credit to its signed readings and re-check every step,
trusting only the chain (--rpc) and the batch files (--archive). Exit 0 when everything holds,
1 with the failing items named when not."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from web3.exceptions import Web3Exception

from devnet.commands.common import RpcOption, err, out, recorded_address, settings_with
from ledger.compile import compile_suite
from ledger.tx import connect
from ledger.verify import ChainFacts, Verdict, verify_credit_on_chain

SHOWN_FAILURES = 25


def verify(
    credit_id: Annotated[int, typer.Argument(help="Token id of the credit (= its request id).")],
    rpc: RpcOption = None,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            metavar="DIR_OR_URL",
            help="Batch files: a directory of <root>.json, or an API base URL serving "
            "/v1/batches/{root} (default: ESSL_STATE_DIR/archive).",
        ),
    ] = None,
    credits_address: Annotated[
        str | None,
        typer.Option(
            "--credits",
            metavar="ADDRESS",
            help="CarbonCredits address (default: the deployment recorded for the chain). The "
            "ledger, registry and factor contracts are read from its views.",
        ),
    ] = None,
    from_block: Annotated[int, typer.Option(help="First block to read logs from.")] = 0,
    workers: Annotated[
        int | None, typer.Option(help="Processes checking batches (default: all cores).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON verdict.")] = False,
) -> None:
    """Verify a credit down to the signed meter readings, without any server of ours."""
    settings = settings_with(rpc)
    w3 = connect(settings.rpc_url)
    chain_id = int(w3.eth.chain_id)
    if credits_address is None:
        credits_address = recorded_address(settings, chain_id, "CarbonCredits", "--credits")
    archive_source = archive or str(settings.state_dir / "archive")
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"reports": "oracle signatures", "batches": "batches"}.get(stage, stage)
                tasks[stage] = int(bar.add_task(f"checking {label}", total=total))
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        try:
            facts = ChainFacts(w3, build, credits_address, from_block=from_block)
            verdict = verify_credit_on_chain(
                facts, credit_id, archive_source, progress=progress, workers=workers
            )
        except (LookupError, Web3Exception, ValueError) as exc:
            verdict = Verdict(subject=f"credit {credit_id}", chain_id=chain_id)
            verdict.fail("chain", f"chain {chain_id} at {settings.rpc_url}", str(exc))
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_json(), sort_keys=True) + "\n")
    else:
        print_verdict(verdict)
    raise typer.Exit(0 if verdict.ok else 1)


def say(*parts: object, markup: bool = True) -> None:
    out.print(*parts, markup=markup, highlight=False, soft_wrap=True)  # failures stay one line


def print_verdict(verdict: Verdict) -> None:
    checks = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(verdict.checks.items()))
    credit = verdict.facts.get("credit", {})
    if credit:
        say(
            f"{verdict.subject} on chain {verdict.chain_id}: station {credit['station_id']}, "
            f"participant {credit['participant']}, issued {credit['issued']} units "
            f"({credit['grams_per_unit']} g each), live {credit['live']}, retired "
            f"{credit['retired']}, revoked {credit['revoked']}"
        )
    avoided = verdict.facts.get("avoided")
    if avoided:
        say(
            f"avoided emissions recomputed from {verdict.checks.get('avoided_intervals', 0)} "
            f"interval reports and {verdict.checks.get('curtailment_attestations', 0)} "
            f"curtailment attestations: {avoided['recomputed_grams']} g (on-chain "
            f"{avoided['on_chain_grams']} g, consumed {avoided['consumed_grams']} g)"
        )
    for r in verdict.retirements:
        say(
            f"  retired {r['amount']} by {r['account']} for {r['beneficiary']!r} "
            f"({r['country']}, {r['purpose']!r}) in tx {r['tx_hash']}"
        )
    say(f"checked: {checks or 'nothing'}")
    if verdict.ok:
        say(f"[green]VERIFIED[/green] {verdict.subject}: every check holds")
        return
    say(
        f"[red]FAILED[/red] {verdict.subject}: {verdict.failure_count} failing item(s) in "
        f"{', '.join(verdict.failed_checks())}"
    )
    for f in verdict.failures[:SHOWN_FAILURES]:
        say(f"  [{f.check}] {f}", markup=False)
    if verdict.failure_count > SHOWN_FAILURES:
        say(f"  ... and {verdict.failure_count - SHOWN_FAILURES} more (use --json)")
