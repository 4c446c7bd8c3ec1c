"""The credit verifier: from a CarbonCredits token id to the signed readings behind it, trusting
only the chain (logs and views, pinned to one head block) and the batch files.

Checks, each failure naming its item:
- the credit: requested, approved, issued = live + retired + revoked, units x gramsPerUnit consumed;
- every report the participant appears in: its calldata hashes to the accepted digest, its oracle
  signatures recover to distinct members of the oracle set that was current when it was accepted
  (the set's config digest recomputed), at least the threshold, the same signers as the event;
- avoided emissions recomputed per interval from the reports' counters and the on-chain factor
  dataset (truncation toward zero per interval and participant), equal to each event record;
- every curtailment attestation of the participant: its interval's report accepted before it, at
  most the participant's charged energy of that interval (the ledger only bounds the cumulative
  total), the factor of the station's latest report and region as in the dataset, its grams the
  truncated product, its grid operator holding GRID_OPERATOR_ROLE on the Registry at that point;
- reports plus attestations equal to `avoidedOf` (and the attested Wh to `curtailedOf`); no
  consumption (issuance, green certificate) ever exceeded what was booked before it;
- every batch behind the credit (reports accepted before its approval): present, root recomputed,
  every device signature recovers to the reading's device, that device key registered for the
  station when the report was accepted, and the meters' last counters equal the report's under
  the participant's counter baseline in force at the report (BaselineSet before it: booked =
  bookedAtBaseline + raw - rawAtBaseline, the reading from the baseline's device)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from coincurve import PublicKey

from ledger.baselines import NO_BASELINE, Baseline, implied_raw
from ledger.methodology import avoided_grams, curtailment_grams
from ledger.readings import DeviceDomain, keccak
from ledger.reports import IntervalReport, report_digest
from ledger.verify.chain_facts import (
    AcceptedReport,
    Attestation,
    BaselineFact,
    ChainFacts,
    CreditFacts,
    DeviceKey,
    StationFacts,
)
from ledger.verify.signatures import BatchResult, check_batch_job
from ledger.verify.verdict import Verdict

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Booked = list[tuple[int, int, int]]  # (block, log index, avoided grams) in chain order
Datasets = dict[int, dict[str, int]]  # factor version -> region -> gCO2e/MWh


def short(hex_value: str) -> str:
    return hex_value[:10] + "…"


def recover_digest(digest: bytes, signature: bytes) -> str:
    """The lower-case address that signed a 32-byte digest (65-byte r || s || v)."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        raise ValueError("expected 65 bytes with v = 27 or 28")
    sig = signature[:64] + bytes((signature[64] - 27,))
    pub = PublicKey.from_signature_and_message(sig, digest, hasher=None)
    return "0x" + keccak(pub.format(compressed=False)[1:])[12:].hex()


def report_item(r: AcceptedReport) -> str:
    return f"report station {r.station_id} interval {r.interval_start} (tx {short(r.tx_hash)})"


def attestation_item(a: Attestation) -> str:
    return (
        f"curtailment attestation station {a.station_id} interval {a.interval_start} "
        f"(tx {short(a.tx_hash)})"
    )


def verify_credit_on_chain(
    facts: ChainFacts,
    token_id: int,
    archive: str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Verdict:
    v = Verdict(subject=f"credit {token_id}", chain_id=facts.chain_id)
    v.facts["contracts"] = {
        "CarbonCredits": facts.credits.address,
        "StorageLedger": facts.ledger.address,
        "Registry": facts.registry.address,
        "EmissionFactors": facts.factors.address,
    }
    v.facts["head_block"] = facts.head
    credit = facts.credit(token_id)
    if credit.request is None:
        v.fail(
            "credit",
            f"credit {token_id}",
            f"was never requested on chain {facts.chain_id} "
            f"(CarbonCredits {facts.credits.address})",
        )
        return v
    _check_credit(v, credit)
    req = credit.request.args
    station_id, participant = int(req["stationId"]), str(req["participant"])
    station = facts.station(station_id)
    if station is None:
        v.fail("station", f"station {station_id}", "is not registered in the Registry")
        return v
    v.facts["station"] = {
        "station_id": station_id,
        "external_code": station.external_code,
        "region": station.region,
    }
    station_reports = facts.reports(station_id)
    mine = [r for r in station_reports if r.record_of(participant) is not None]
    cutoff = (
        (credit.decision.block, credit.decision.log_index)
        if credit.approved and credit.decision
        else (facts.head + 1, 0)
    )
    backing = [r for r in mine if (r.block, r.log_index) < cutoff]
    separator = DeviceDomain(facts.chain_id, facts.registry.address).separator
    jobs = [(archive, r.root_hex, separator) for r in backing]
    with ExitStack() as stack:
        # Batches (the bulk of the work) start in the worker processes first; the reports'
        # calldata, oracle signatures and curtailment attestations are checked here meanwhile.
        results = _start_batches(stack, jobs, workers)
        datasets = facts.factor_datasets()
        decoded, from_reports = _check_reports(
            v, facts, mine, station.region, participant, datasets, progress
        )
        from_curtailment = _check_curtailment(
            v, facts, station_reports, station, participant, datasets
        )
        _check_consumption(v, facts, station_id, participant, from_reports, from_curtailment)
        v.facts["reports"] = len(mine)
        v.facts["backing_reports"] = len(backing)
        keys = facts.device_keys(station_id)
        baselines = facts.baselines(station_id)
        _check_batches(v, backing, decoded, keys, baselines, results, progress)
    return v


def _check_credit(v: Verdict, credit: CreditFacts) -> None:
    assert credit.request is not None
    req = credit.request.args
    item = f"credit {credit.token_id}"
    _state, issued, live, retired, revoked = credit.amounts
    v.facts["credit"] = {
        "token_id": credit.token_id,
        "station_id": int(req["stationId"]),
        "participant": str(req["participant"]),
        "requester": str(req["requester"]),
        "period": [int(req["periodStart"]), int(req["periodEnd"])],
        "requested_grams": int(req["grams"]),
        "factor_version": int(req["factorVersion"]),
        "request_tx": credit.request.tx_hash,
        "approval_tx": credit.decision.tx_hash if credit.decision else None,
        "verifier": str(credit.decision.args["verifier"]) if credit.decision else None,
        "issued": issued,
        "live": live,
        "retired": retired,
        "revoked": revoked,
        "grams_per_unit": credit.grams_per_unit,
    }
    v.retirements = [
        {
            "account": str(e.args["account"]),
            "amount": int(e.args["amount"]),
            "beneficiary": str(e.args["beneficiary"]),
            "beneficiary_address": str(e.args["beneficiaryAddress"]),
            "period": [int(e.args["periodStart"]), int(e.args["periodEnd"])],
            "country": bytes(e.args["country"]).decode("ascii", "replace"),
            "purpose": str(e.args["purpose"]),
            "tx_hash": e.tx_hash,
            "block": e.block,
        }
        for e in credit.retirements
    ]
    v.count("credit")
    if not credit.approved or credit.decision is None:
        v.fail("credit", item, "was never approved (pending or rejected): nothing was issued")
        return
    units = int(credit.decision.args["units"])
    consumed = int(credit.decision.args["consumedGrams"])
    if consumed != units * credit.grams_per_unit:
        v.fail(
            "credit",
            item,
            f"approval consumed {consumed} g for {units} units of {credit.grams_per_unit} g",
        )
    if consumed > int(req["grams"]):
        v.fail("credit", item, f"consumed {consumed} g, more than the {req['grams']} g requested")
    if issued != units:
        v.fail("credit", item, f"issued() is {issued}, the approval minted {units}")
    if issued != live + retired + revoked:
        v.fail(
            "credit",
            item,
            f"issued {issued} != live {live} + retired {retired} + revoked {revoked}",
        )
    claimed = sum(int(e.args["amount"]) for e in credit.retirements)
    if claimed != retired:
        v.fail("credit", item, f"Retired events sum to {claimed}, retired() is {retired}")
    minted = sum(int(e.args["value"]) for e in credit.moves if int(e.args["from"], 16) == 0)
    if minted != units:
        v.fail("credit", item, f"mint transfers sum to {minted}, the approval minted {units}")


def _dataset_factor(
    v: Verdict,
    item: str,
    datasets: Datasets,
    version: int,
    region: str,
    applied: int,
) -> int:
    """The on-chain dataset's factor for (version, region), failing `item` when the applied
    factor differs or the dataset has none (then the applied one is used to go on)."""
    factor = datasets.get(version, {}).get(region)
    if factor is None:
        v.fail(
            "factor", item, f"factor dataset version {version} has no factor for region {region}"
        )
        return applied
    if factor != applied:
        v.fail(
            "factor",
            item,
            f"applied {applied} g/MWh, dataset version {version} says {factor} for {region}",
        )
    return factor


def _check_reports(
    v: Verdict,
    facts: ChainFacts,
    mine: list[AcceptedReport],
    region: str,
    participant: str,
    datasets: Datasets,
    progress: Progress | None,
) -> tuple[dict[str, IntervalReport], Booked]:
    """Oracle signatures and avoided emissions of every report the participant appears in.
    Returns the decoded reports by readings root (for the batch counter check) and the
    recomputed avoided grams per report."""
    sets = facts.oracle_sets()
    ordered_sets = sorted(sets.values(), key=lambda s: (s.block, s.version))
    for s in ordered_sets:
        if facts.expected_config_digest(s.version, s.signers, s.threshold) != s.digest:
            v.fail(
                "oracle_set",
                f"oracle set version {s.version}",
                "config digest does not "
                "match keccak256(chainId, registry, version, signers, threshold)",
            )
    ledger_address = facts.ledger.address
    decoded_by_root: dict[str, IntervalReport] = {}
    prev_c = prev_d = 0
    booked: Booked = []
    who = participant.lower()
    for n, r in enumerate(mine, start=1):
        if progress:
            progress("reports", n, len(mine))
        item = report_item(r)
        v.count("reports")
        try:
            report, signatures = facts.submitted(r)
        except LookupError as exc:
            v.fail("report_calldata", item, str(exc))
            continue
        decoded_by_root[r.root_hex] = report
        digest = report_digest(report, facts.chain_id, ledger_address)
        if digest != r.digest:
            v.fail(
                "report_calldata", item, "the submitted report does not hash to the accepted digest"
            )
        if report.readings_root != r.readings_root:
            v.fail("report_calldata", item, "calldata and event disagree on the readings root")
        # The oracle set current when the report was accepted.
        current = [s for s in ordered_sets if s.block <= r.block]
        oset = sets.get(report.config_digest)
        if oset is None:
            v.fail(
                "oracle_set",
                item,
                f"config digest 0x{report.config_digest.hex()} is no oracle set of this Registry",
            )
        else:
            if not current or current[-1].digest != oset.digest:
                v.fail(
                    "oracle_set",
                    item,
                    f"oracle set version {oset.version} was not the current set at block {r.block}",
                )
            recovered: list[str] = []
            for i, sig in enumerate(signatures):
                v.count("oracle_signatures")
                try:
                    signer = recover_digest(digest, sig)
                except Exception as exc:  # coincurve raises plain Exception on bad points
                    v.fail("oracle_signature", f"{item} signature {i}", f"unrecoverable ({exc})")
                    continue
                if signer not in {s.lower() for s in oset.signers}:
                    v.fail(
                        "oracle_signature",
                        f"{item} signature {i}",
                        f"recovers to {signer}, not a member of oracle set version {oset.version}",
                    )
                recovered.append(signer)
            if len(set(recovered)) != len(recovered):
                v.fail("oracle_signature", item, "the same oracle signed twice")
            if len(set(recovered)) < oset.threshold:
                v.fail(
                    "oracle_signature",
                    item,
                    f"{len(set(recovered))} distinct oracle "
                    f"signatures, the threshold is {oset.threshold}",
                )
            if sorted(recovered) != sorted(s.lower() for s in r.signers):
                v.fail(
                    "oracle_signature",
                    item,
                    "recovered signers differ from the ReportAccepted signers",
                )
        # Avoided emissions of this interval for the participant.
        delta = next((p for p in report.participants if p.participant.lower() == who), None)
        record = r.record_of(participant)
        assert record is not None
        if delta is None:
            v.fail("avoided", item, "the participant is in the event but not in the calldata")
            continue
        charged, discharged = delta.charged_wh_total - prev_c, delta.discharged_wh_total - prev_d
        prev_c, prev_d = delta.charged_wh_total, delta.discharged_wh_total
        factor = _dataset_factor(v, item, datasets, r.factor_version, region, r.grams_per_mwh)
        avoided = avoided_grams(charged, discharged, factor)
        got = (record.charged_wh, record.discharged_wh, record.avoided_grams)
        want = (charged, discharged, avoided)
        if got != want:
            v.fail(
                "avoided",
                item,
                f"booked (charged, discharged, avoided g) {got}, recomputed {want}",
            )
        v.count("avoided_intervals")
        booked.append((r.block, r.log_index, avoided))
    return decoded_by_root, booked


def _check_curtailment(
    v: Verdict,
    facts: ChainFacts,
    reports: list[AcceptedReport],
    station: StationFacts,
    participant: str,
    datasets: Datasets,
) -> Booked:
    """The grid operator's curtailment attestations of the participant, against the station's
    accepted reports (all of them, in acceptance order). Returns the recomputed grams of each."""
    station_id, region = station.station_id, station.region
    attestations = facts.attestations(station_id, participant)
    by_start = {r.interval_start: r for r in reports}
    booked: Booked = []
    attested: set[int] = set()
    for a in attestations:
        item = attestation_item(a)
        v.count("curtailment_attestations")
        at = (a.block, a.log_index)
        report = by_start.get(a.interval_start)
        if report is None or (report.block, report.log_index) > at:
            v.fail("curtailment", item, "the interval has no report accepted before it")
        if a.interval_start in attested:
            v.fail("curtailment", item, "the interval was already attested for the participant")
        attested.add(a.interval_start)
        record = report.record_of(participant) if report else None
        charged = record.charged_wh if record else 0
        if a.curtailed_wh > charged:
            v.fail(
                "curtailment",
                item,
                f"{a.curtailed_wh} Wh attested as curtailed, the participant charged only "
                f"{charged} Wh in the interval",
            )
        latest = [r for r in reports if (r.block, r.log_index) < at]
        if latest and latest[-1].factor_version != a.factor_version:
            v.fail(
                "factor",
                item,
                f"applied factor version {a.factor_version}, the station's latest report "
                f"before it used version {latest[-1].factor_version}",
            )
        factor = _dataset_factor(v, item, datasets, a.factor_version, region, a.grams_per_mwh)
        grams = curtailment_grams(a.curtailed_wh, factor)
        if grams != a.avoided_grams:
            v.fail(
                "curtailment",
                item,
                f"booked {a.avoided_grams} g, recomputed {grams} g "
                f"({a.curtailed_wh} Wh at {factor} g/MWh)",
            )
        if not facts.had_role("GRID_OPERATOR_ROLE", a.grid_operator, a.block, a.log_index):
            v.fail(
                "curtailment",
                item,
                f"attested by {a.grid_operator}, which did not hold GRID_OPERATOR_ROLE on the "
                f"Registry at block {a.block}",
            )
        booked.append((a.block, a.log_index, grams))
    curtailed_wh = sum(a.curtailed_wh for a in attestations)
    v.facts["curtailment"] = {
        "attestations": len(attestations),
        "curtailed_wh": curtailed_wh,
        "recomputed_grams": sum(g for _, _, g in booked),
        "grid_operators": sorted({a.grid_operator for a in attestations}),
    }
    on_chain = facts.curtailed_of(station_id, participant)
    if curtailed_wh != on_chain:
        v.fail(
            "curtailment",
            f"curtailed account of {participant} at station {station_id}",
            f"CurtailmentAttested events sum to {curtailed_wh} Wh, curtailedOf says {on_chain}",
        )
    return booked


def _check_consumption(
    v: Verdict,
    facts: ChainFacts,
    station_id: int,
    participant: str,
    from_reports: Booked,
    from_curtailment: Booked,
) -> None:
    item = f"avoided account of {participant} at station {station_id}"
    on_chain, consumed_view, _, _ = facts.avoided_of(station_id, participant)
    report_grams = sum(g for _, _, g in from_reports)
    curtailment_grams = sum(g for _, _, g in from_curtailment)
    booked = report_grams + curtailment_grams
    timeline = sorted(from_reports + from_curtailment)
    v.facts["avoided"] = {
        "recomputed_grams": booked,
        "report_grams": report_grams,
        "curtailment_grams": curtailment_grams,
        "on_chain_grams": on_chain,
        "consumed_grams": consumed_view,
    }
    if booked != on_chain:
        v.fail(
            "avoided",
            item,
            f"recomputed {booked} g ({report_grams} g from the reports, {curtailment_grams} g "
            f"from curtailment attestations), avoidedOf says {on_chain}",
        )
    consumed = 0
    events = facts.consumptions(station_id, participant)
    for e in events:
        before = sum(g for b, li, g in timeline if (b, li) < (e.block, e.log_index))
        grams = int(e.args["grams"])
        available = max(before - consumed, 0)
        if grams > available:
            v.fail(
                "avoided",
                f"{item}, consumption in tx {short(e.tx_hash)}",
                f"{grams} g consumed, only {available} g booked and un-issued before it",
            )
        consumed += grams
        v.count("consumptions")
    if consumed != consumed_view:
        v.fail(
            "avoided",
            item,
            f"AvoidedConsumed events sum to {consumed} g, avoidedOf says {consumed_view}",
        )


def _start_batches(
    stack: ExitStack, jobs: list[tuple[str, str, bytes]], workers: int | None
) -> Iterator[BatchResult]:
    """Results in job order; with a pool, every job is submitted before this returns."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 4:
        return map(check_batch_job, jobs)
    # fork: workers start in milliseconds and need no `__main__` guard from the caller (the demo,
    # tests, scripts); they only run pure functions over files.
    method = "fork" if "fork" in get_all_start_methods() else None
    pool = stack.enter_context(
        ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method))
    )
    return pool.map(check_batch_job, jobs, chunksize=1)


def _check_batches(
    v: Verdict,
    backing: list[AcceptedReport],
    decoded: dict[str, IntervalReport],
    keys: list[DeviceKey],
    baselines: list[BaselineFact],
    results: Iterator[BatchResult],
    progress: Progress | None,
) -> None:
    by_signer: dict[str, list[DeviceKey]] = {}
    for k in keys:
        by_signer.setdefault(k.signer.lower(), []).append(k)
    devices_seen: dict[str, dict[str, Any]] = {}
    for n, (r, res) in enumerate(zip(backing, results, strict=True), start=1):
        if progress:
            progress("batches", n, len(backing))
        _judge_batch(
            v,
            v.facts["contracts"]["Registry"],
            r,
            res,
            by_signer,
            devices_seen,
        )
        if (report := decoded.get(r.root_hex)) is not None:
            _check_counters(v, r, res, report, baselines)
    v.facts["devices"] = sorted(devices_seen.values(), key=lambda d: d["device_id"])


def batch_item(r: AcceptedReport) -> str:
    return f"batch {short(r.root_hex)} (station {r.station_id} interval {r.interval_start})"


def baseline_at(baselines: list[BaselineFact], participant: str, r: AcceptedReport) -> Baseline:
    """The participant's baseline in force when `r` was accepted (the last BaselineSet before
    its log), or NO_BASELINE."""
    who = participant.lower()
    found = NO_BASELINE
    for b in baselines:  # chain order
        if (b.block, b.log_index) >= (r.block, r.log_index):
            break
        if b.participant.lower() == who:
            found = b.baseline
    return found


def _check_counters(
    v: Verdict,
    r: AcceptedReport,
    res: BatchResult,
    report: IntervalReport,
    baselines: list[BaselineFact],
) -> None:
    """Each participant's last meter reading in the batch against the report's booked
    counters, under the baseline in force (a 32-bit meter's wrapped counter also matches)."""
    item = batch_item(r)
    for p in report.participants:
        last = res.last_counters.get(p.participant.lower())
        if last is None:
            continue
        _, charged, discharged, device = last
        baseline = baseline_at(baselines, p.participant, r)
        where = f"{item} participant {p.participant}"
        if baseline.epoch and device != baseline.device.lower():
            v.fail(
                "report_counters",
                where,
                f"last meter reading is from device {device}, the baseline in force "
                f"(epoch {baseline.epoch}) names {baseline.device}",
            )
            continue
        raw = implied_raw(baseline, p.charged_wh_total, p.discharged_wh_total)
        if (charged, discharged) != raw and (
            min(raw) < 0 or (charged, discharged) != (raw[0] % 2**32, raw[1] % 2**32)
        ):
            under = f" under baseline epoch {baseline.epoch}" if baseline.epoch else ""
            v.fail(
                "report_counters",
                where,
                f"last meter reading says ({charged}, {discharged}) Wh, the report "
                f"({p.charged_wh_total}, {p.discharged_wh_total}){under} stands for raw "
                f"({raw[0]}, {raw[1]})",
            )


def _judge_batch(
    v: Verdict,
    registry: str,
    r: AcceptedReport,
    res: BatchResult,
    by_signer: dict[str, list[DeviceKey]],
    devices_seen: dict[str, dict[str, Any]],
) -> None:
    item = batch_item(r)
    v.count("batches")
    if res.error is not None:
        v.fail("batch_missing", item, f"{res.error} ({res.location})")
        return
    v.count("readings", res.readings)
    if res.computed_root != r.root_hex:
        v.fail(
            "batch_root",
            item,
            f"its readings hash to {res.computed_root or 'nothing'}, not "
            "the on-chain readings root",
        )
    if res.readings != r.reading_count:
        v.fail("batch_root", item, f"{res.readings} readings, the report counts {r.reading_count}")
    if res.chain_id != v.chain_id or (res.registry or "").lower() != registry.lower():
        v.fail(
            "batch_chain",
            item,
            f"the file is for chain {res.chain_id} registry "
            f"{res.registry}, not chain {v.chain_id} registry {registry}",
        )
    if (res.station_id, res.interval_start) != (r.station_id, r.interval_start):
        v.fail(
            "batch_root",
            item,
            f"the file says station {res.station_id} interval {res.interval_start}",
        )
    for bad in res.bad:
        v.fail(
            "device_signature",
            f"{item} reading {bad.index} (device {bad.device}, seq {bad.seq})",
            bad.reason,
        )
    for device, count in res.devices.items():
        v.count("device_signatures", count)
        candidates = by_signer.get(device, [])
        if not candidates:
            v.fail(
                "device_key",
                f"{item} device {device}",
                f"signs {count} readings but is no registered device key of station {r.station_id}",
            )
            continue
        valid = [k for k in candidates if k.valid_at(r.block)]
        if not valid:
            v.fail(
                "device_key",
                f"{item} device {device}",
                f"was not a current device key when the report was accepted (block {r.block})",
            )
            continue
        k = valid[0]
        devices_seen.setdefault(
            device,
            {
                "device_id": k.device_id,
                "external_code": k.external_code,
                "signer": k.signer,
                "kind": k.kind,
            },
        )
