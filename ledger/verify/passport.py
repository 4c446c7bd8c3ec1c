"""Independent verification of a battery passport, trusting only the chain and the archive: the
passport's lineage (each predecessor), each creation's parameter hash, every health snapshot's
oracle signatures (recovered from the transaction that anchored it, against the oracle set whose
config digest it names), and each day's summary recomputed from the signed BMS readings of the
day's telemetry batch (root, every device signature, the installed BMS as signer)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.contract import Contract

from ledger.compile import Build
from ledger.errors import MalformedReading, SignatureInvalid
from ledger.passport_snapshots import (
    DAY,
    Snapshot,
    batch_digest,
    recover_digest_signer,
    snapshot_digest,
    snapshot_from_record,
    unpack_signatures,
)
from ledger.passport_summary import PackDaySummary, Row, differences, row_of_dict, summarize
from ledger.passports import PassportParams, passport_key
from ledger.readings import DeviceDomain, encode_reading_dict, keccak, recover_encoded
from ledger.reports import ordered_signatures
from ledger.verify.batches import BatchUnavailable, batch_location, load_document
from ledger.verify.signatures import fast_root
from ledger.verify.verdict import Verdict

Progress = Callable[[str, int, int], None]


@dataclass
class DayResult:
    """What one day's telemetry batch gave (plain data: crosses process boundaries)."""

    day: int
    root: str
    location: str
    error: str | None = None
    computed_root: str = ""
    readings: int = 0
    bad: list[tuple[int, str, int, str]] = field(default_factory=list)  # index, device, seq, why
    summary: PackDaySummary | None = None


def check_day(archive: str, root: str, separator: bytes, device: str, day: int) -> DayResult:
    """Recompute the batch root, recover every reading's signer (must be `device`, the BMS
    installed for the pack), and the day's summary from the readings."""
    location = batch_location(archive, root)
    result = DayResult(day=day, root=root, location=location)
    try:
        document = load_document(location)
    except BatchUnavailable as exc:
        result.error = exc.reason
        return result
    leaves: list[bytes] = []
    rows: list[Row] = []
    expected = device.lower()
    start, end = day * DAY, (day + 1) * DAY
    for index, data in enumerate(document["readings"]):
        named = str(data.get("device", "?")) if isinstance(data, dict) else "?"
        seq = data.get("seq", -1) if isinstance(data, dict) else -1
        seq = seq if isinstance(seq, int) else -1
        try:
            if not isinstance(data, dict):
                raise MalformedReading("<reading>", "not a JSON object")
            encoded = encode_reading_dict(data)
            sig_hex = data.get("signature")
            if not isinstance(sig_hex, str) or len(sig_hex) != 132:
                raise MalformedReading("signature", "expected 0x-hex of 65 bytes")
            sig = bytes.fromhex(sig_hex[2:])
            leaves.append(keccak(keccak(encoded + sig[:64] + sig[64].to_bytes(32, "big"))))
            signer = "0x" + recover_encoded(encoded, sig, separator).hex()
        except (MalformedReading, SignatureInvalid, ValueError) as exc:
            result.bad.append((index, named, seq, str(exc)))
            continue
        if signer != named.lower():
            why = f"signature recovers to {signer}, not to the device the reading names"
            result.bad.append((index, named, seq, why))
            continue
        if signer != expected:
            why = f"signed by {signer}, not by the pack's installed BMS {device}"
            result.bad.append((index, named, seq, why))
            continue
        if not start <= data["timestamp"] < end:
            result.bad.append(
                (index, named, seq, f"timestamp {data['timestamp']} is not on day {day}")
            )
            continue
        rows.append(row_of_dict(data))
    result.readings = len(document["readings"])
    if leaves:
        result.computed_root = "0x" + fast_root(leaves).hex()
    if rows and not result.bad:
        result.summary = summarize(day, rows, bytes.fromhex(result.computed_root[2:]))
    return result


def _check_day_job(args: tuple[str, str, bytes, str, int]) -> DayResult:
    return check_day(*args)


class PassportFacts:
    """The chain's side: the passports contract, its registry, oracle sets by config digest."""

    def __init__(self, w3: Web3, build: Build, passports_address: str, from_block: int = 0) -> None:
        self.w3 = w3
        self.chain_id = int(w3.eth.chain_id)
        self.from_block = from_block
        self.passports: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(passports_address), abi=build["BatteryPassports"].abi
        )
        self.registry_address = str(self.passports.functions.registry().call())
        self.registry: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(self.registry_address), abi=build["Registry"].abi
        )
        self._sets: dict[bytes, tuple[list[str], int]] = {}

    def oracle_set(self, config_digest: bytes) -> tuple[list[str], int] | None:
        """(signers, threshold) of the oracle set with this config digest, None if none has it."""
        if not self._sets:
            _, _, version = self.registry.functions.oracleConfig().call()
            for v in range(1, int(version) + 1):
                signers, threshold, digest = self.registry.functions.oracleSetAt(v).call()
                self._sets[bytes(digest)] = ([str(s) for s in signers], int(threshold))
        return self._sets.get(config_digest)

    def device_signer(self, device_id: int) -> str:
        return str(self.registry.functions.deviceById(device_id).call()[0])

    def logs(self, event: str, key: bytes) -> list[Any]:
        ev = getattr(self.passports.events, event)
        return list(ev.get_logs(from_block=self.from_block, argument_filters={"passport": key}))


def verify_passport_on_chain(
    facts: PassportFacts,
    ref: str | bytes,
    archive: str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Verdict:
    key = passport_key(ref)
    verdict = Verdict(subject=f"passport 0x{key.hex()}", chain_id=facts.chain_id)
    separator = DeviceDomain(facts.chain_id, facts.registry_address).separator
    lineage = _lineage(facts, key, verdict)
    verdict.facts["lineage"] = ["0x" + k.hex() for k in lineage]
    jobs: list[tuple[str, str, bytes, str, int]] = []
    expected: dict[tuple[str, int], tuple[bytes, Snapshot]] = {}
    for k in reversed(lineage):  # oldest first
        _check_params(facts, k, verdict)
        for log in facts.logs("SnapshotAnchored", k):
            s = snapshot_from_record(k, int(log["args"]["day"]), bytes(log["args"]["record"]))
            verdict.count("snapshots")
            _check_signatures(facts, log, s, verdict)
            root = "0x" + s.telemetry_root.hex()
            device = facts.device_signer(s.device_id)
            jobs.append((archive, root, separator, device, s.day))
            expected[(root, s.day)] = (k, s)
    results = _run(jobs, workers, progress)
    for res in results:
        k, s = expected[(res.root, res.day)]
        _judge_day(res, k, s, verdict)
    verdict.facts["days"] = len(results)
    return verdict


def _lineage(facts: PassportFacts, key: bytes, verdict: Verdict) -> list[bytes]:
    out = [key]
    seen = {key}
    while True:
        view = facts.passports.functions.passportOf(out[-1]).call()
        predecessor = bytes(view[7])
        if predecessor == bytes(32):
            return out
        if predecessor in seen:
            verdict.fail("lineage", f"passport 0x{out[-1].hex()}", "predecessor loop")
            return out
        succ = bytes(facts.passports.functions.passportOf(predecessor).call()[8])
        if succ != out[-1]:
            verdict.fail(
                "lineage",
                f"passport 0x{predecessor.hex()}",
                f"successor is 0x{succ.hex()}, not 0x{out[-1].hex()}",
            )
        verdict.count("lineage_links")
        seen.add(predecessor)
        out.append(predecessor)


def _check_params(facts: PassportFacts, key: bytes, verdict: Verdict) -> None:
    item = f"passport 0x{key.hex()}"
    logs = facts.logs("PassportCreated", key)
    if not logs:
        verdict.fail("passport_params", item, "no PassportCreated event")
        return
    params = PassportParams.from_abi(logs[0]["args"]["params"])
    stored = bytes(facts.passports.functions.passportOf(key).call()[9])
    if params.params_hash() != stored or params.key != key:
        verdict.fail(
            "passport_params", item, "the created attributes do not hash to the stored hash"
        )
    verdict.count("passport_params")


def _check_signatures(facts: PassportFacts, log: Any, s: Snapshot, verdict: Verdict) -> None:
    item = f"passport 0x{s.passport.hex()} day {s.day} snapshot"
    tx = facts.w3.eth.get_transaction(log["transactionHash"])
    fn, args = facts.passports.decode_function_input(tx["input"])
    address = str(facts.passports.address)
    if fn.fn_name == "submitSnapshot":
        batch = [Snapshot.from_abi(args["s"])]
        digest = snapshot_digest(batch[0], facts.chain_id, address)
    else:
        batch = [Snapshot.from_abi(x) for x in args["snapshots"]]
        digest = batch_digest(batch, facts.chain_id, address)
    if s not in batch:
        verdict.fail("oracle_signature", item, f"not among the snapshots of tx {tx['hash'].hex()}")
        return
    if digest != bytes(log["args"]["digest"]):
        verdict.fail(
            "oracle_signature", item, "the event digest is not the snapshot's EIP-712 digest"
        )
        return
    oracle_set = facts.oracle_set(s.config_digest)
    if oracle_set is None:
        verdict.fail(
            "oracle_signature", item, f"no oracle set has config digest 0x{s.config_digest.hex()}"
        )
        return
    members, threshold = oracle_set
    recovered = []
    for i, sig in enumerate(unpack_signatures(bytes(args["signatures"]))):
        try:
            recovered.append((recover_digest_signer(digest, bytes(sig)), bytes(sig)))
        except Exception as exc:  # eth_keys raises several types for a bad signature
            verdict.fail("oracle_signature", f"{item} signature {i}", f"does not recover ({exc})")
            return
    signers = [a for a, _ in recovered]
    outsiders = [a for a in signers if a not in members]
    if outsiders:
        verdict.fail("oracle_signature", item, f"{', '.join(outsiders)} not in the oracle set")
    elif len(set(signers)) < threshold:
        verdict.fail(
            "oracle_signature", item, f"{len(set(signers))} signers, threshold {threshold}"
        )
    elif ordered_signatures(recovered) != [sig for _, sig in recovered]:
        verdict.fail("oracle_signature", item, "signatures not in ascending signer order")
    else:
        verdict.count("oracle_signatures", len(signers))


def _judge_day(res: DayResult, key: bytes, s: Snapshot, verdict: Verdict) -> None:
    where = f"passport 0x{key.hex()} day {s.day} batch {res.root}"
    if res.error is not None:
        verdict.fail("batch", where, res.error)
        return
    verdict.count("batches")
    verdict.count("readings", res.readings)
    for index, device, seq, why in res.bad:
        verdict.fail(
            "device_signature", f"{where} reading {index} (device {device}, seq {seq})", why
        )
    if res.computed_root != res.root:
        verdict.fail(
            "batch_root", where, f"readings hash to {res.computed_root}, not to the root on-chain"
        )
    if res.summary is None:
        if not res.bad:
            verdict.fail("summary", where, "no readings to summarize")
        return
    diffs = differences(s, res.summary)
    for name, on_chain, recomputed in diffs:
        verdict.fail(
            "summary", f"{where} field {name}", f"on-chain {on_chain}, recomputed {recomputed}"
        )
    if not diffs:
        verdict.count("summaries")


def _run(
    jobs: list[tuple[str, str, bytes, str, int]], workers: int | None, progress: Progress | None
) -> list[DayResult]:
    n = workers or os.cpu_count() or 1
    results: list[DayResult] = []
    if n <= 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(check_day(*job))
            if progress:
                progress("days", len(results), len(jobs))
        return results
    with ProcessPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        for res in pool.map(_check_day_job, jobs):
            results.append(res)
            if progress:
                progress("days", len(results), len(jobs))
    return results


def verify_passport(
    ledger: Any, ref: str | bytes, archive: str, *, workers: int | None = None
) -> Verdict:
    """`verify_passport_on_chain` for a ledger handle's deployed BatteryPassports."""
    facts = PassportFacts(ledger.w3, ledger.build, ledger.deployment.address("BatteryPassports"))
    return verify_passport_on_chain(facts, ref, str(archive), workers=workers)
