"""Every validation rule the oracle applies, each with its reason code.

`Validator` checks single readings against the registry facts (passed in as plain data) and
the per-device state it keeps (last seq, counters, timestamp, SOC). A rejected reading never
updates that state. `check_energy_balance` and `check_meter_bms` are the interval-level rules,
evaluated when an interval is closed. All energy arithmetic is in integers (Wh, bps)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ledger.kinds import DeviceKindName
from oracle.errors import SignatureInvalid
from oracle.reading import (
    OVER_ALARM_MASK,
    OVER_ALARMS,
    ZERO_ADDRESS,
    DeviceDomain,
    SignedReading,
    recover_address_bytes,
)

ACC32: Final = 1 << 32
BPS: Final = 10_000
# Default sampling periods: revenue meters report every minute, the BMS every 10 s.
DEFAULT_PERIOD_S: Final[dict[DeviceKindName, int]] = {
    DeviceKindName.METER: 60,
    DeviceKindName.BMS: 10,
    DeviceKindName.GATEWAY: 60,
}


class Reason(StrEnum):
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    REPLAYED_SEQUENCE = "REPLAYED_SEQUENCE"
    TIMESTAMP_NOT_INCREASING = "TIMESTAMP_NOT_INCREASING"
    TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE"
    OFF_GRID_TIMESTAMP = "OFF_GRID_TIMESTAMP"
    COUNTER_DECREASED = "COUNTER_DECREASED"
    POWER_OUT_OF_RANGE = "POWER_OUT_OF_RANGE"
    ENERGY_OUT_OF_RANGE = "ENERGY_OUT_OF_RANGE"
    SOC_OUT_OF_RANGE = "SOC_OUT_OF_RANGE"
    MALFORMED = "MALFORMED"
    WRONG_STATION = "WRONG_STATION"
    ENERGY_BALANCE = "ENERGY_BALANCE"
    METER_BMS_MISMATCH = "METER_BMS_MISMATCH"
    BELOW_BASELINE = "BELOW_BASELINE"


@dataclass(frozen=True)
class DeviceInfo:
    """A registered device. `sampling_period_s` None means the default for its kind; 0 turns
    the sampling-grid check off (free-running devices). `acc32` marks 32-bit accumulators
    (SunSpec acc32) that roll over at 2^32 Wh and that the device signs as they are: the
    validator unwraps those. A gateway that reads acc32 registers unwraps them before it
    signs (`oracle.sources.modbus`), so its devices never carry this flag: one place per
    device, refused at start otherwise (`oracle.service.station_facts`)."""

    address: str
    station_id: int
    kind: DeviceKindName
    rated_power_w: int
    accuracy_class_bps: int
    participant: str | None = None
    sampling_period_s: int | None = None
    acc32: bool = False
    # The meter channel's raw counters at its on-chain baseline (StorageLedger.setBaseline):
    # a reading below them is not this meter's energy since onboarding.
    baseline_charged_wh: int = 0
    baseline_discharged_wh: int = 0

    def __post_init__(self) -> None:
        # A kind given as its word ("meter") becomes the enum member, or fails here naming it.
        object.__setattr__(self, "kind", DeviceKindName(self.kind))

    @property
    def period_s(self) -> int:
        if self.sampling_period_s is None:
            return DEFAULT_PERIOD_S[self.kind]
        return self.sampling_period_s


@dataclass(frozen=True)
class StationInfo:
    station_id: int
    rated_power_w: int
    capacity_wh: int
    interval_s: int
    soc_min_bps: int
    soc_max_bps: int
    round_trip_eff_bps: int
    grid_start: int = 0


@dataclass(frozen=True)
class Verdict:
    """ok when `reason` is None. Accepted readings carry their unwrapped counter deltas since
    the device's previous accepted reading (0 for a device's first reading) and any flags."""

    reason: Reason | None = None
    detail: str = ""
    flags: tuple[str, ...] = ()
    charged_delta_wh: int = 0
    discharged_delta_wh: int = 0

    @property
    def ok(self) -> bool:
        return self.reason is None

    @classmethod
    def reject(cls, reason: Reason, detail: str) -> Verdict:
        return cls(reason, detail)


ACCEPTED: Final = Verdict()


@dataclass
class DeviceState:
    """What the validator remembers of a device's last accepted reading."""

    seq: int
    timestamp: int
    charged_raw: int
    discharged_raw: int
    charged_total: int  # unwrapped (acc32 rollovers added back)
    discharged_total: int
    soc_bps: int


class Validator:
    """Validates the readings of one station. Not thread-safe: one validator per pipeline."""

    def __init__(
        self,
        station: StationInfo,
        devices: Iterable[DeviceInfo],
        domain: DeviceDomain,
        *,
        clock_skew_s: int = 5,
    ) -> None:
        self.station = station
        self.domain = domain
        self.clock_skew_s = clock_skew_s
        self._devices = {bytes.fromhex(d.address[2:]): d for d in devices}
        self._states: dict[bytes, DeviceState] = {}

    def state(self, device: str) -> DeviceState | None:
        return self._states.get(bytes.fromhex(device[2:]))

    def export_states(self) -> dict[str, DeviceState]:
        """Every device's state, keyed by its checksummed address (for checkpoints)."""
        from eth_utils import to_checksum_address

        return {to_checksum_address(k): s for k, s in self._states.items()}

    def restore_states(self, states: dict[str, DeviceState]) -> None:
        """Resume from a checkpoint written by `export_states`."""
        self._states = {bytes.fromhex(d[2:]): s for d, s in states.items()}

    def validate(self, signed: SignedReading, now: int, *, signer: bytes | None = None) -> Verdict:
        """`signer`: the 20-byte address a worker process already recovered from this very
        reading's signature (recovery is the costly, stateless part; see bench/oracle_ingest)."""
        r = signed.reading
        key = bytes.fromhex(r.device[2:])
        info = self._devices.get(key)
        if info is None:
            return Verdict.reject(Reason.UNKNOWN_DEVICE, f"{r.device} is not registered")
        if signer is None:
            try:
                signer = recover_address_bytes(signed, self.domain)
            except SignatureInvalid as exc:
                return Verdict.reject(Reason.BAD_SIGNATURE, str(exc))
        if signer != key:
            return Verdict.reject(
                Reason.BAD_SIGNATURE, f"signed by 0x{signer.hex()}, not by {r.device}"
            )
        if r.station_id != info.station_id:
            return Verdict.reject(
                Reason.BAD_SIGNATURE,
                f"{r.device} is registered for station {info.station_id}, not {r.station_id}",
            )
        expected_participant = info.participant or ZERO_ADDRESS
        if r.participant.lower() != expected_participant.lower():
            return Verdict.reject(
                Reason.BAD_SIGNATURE,
                f"{r.device} is registered for channel {expected_participant}, not {r.participant}",
            )
        if r.station_id != self.station.station_id:
            return Verdict.reject(
                Reason.WRONG_STATION,
                f"reading is for station {r.station_id}; this validator serves "
                f"station {self.station.station_id}",
            )
        prev = self._states.get(key)
        verdict = self._check_sample(signed, info, prev, now)
        if verdict.ok:
            self._commit(key, signed, prev, verdict)
        return verdict

    def _check_sample(
        self, signed: SignedReading, info: DeviceInfo, prev: DeviceState | None, now: int
    ) -> Verdict:
        r = signed.reading
        if prev is not None and r.seq <= prev.seq:
            return Verdict.reject(
                Reason.REPLAYED_SEQUENCE, f"seq {r.seq} <= last accepted seq {prev.seq}"
            )
        if r.timestamp > now + self.clock_skew_s:
            return Verdict.reject(
                Reason.TIMESTAMP_IN_FUTURE,
                f"timestamp {r.timestamp} is {r.timestamp - now} s ahead of the oracle clock "
                f"(skew allowed {self.clock_skew_s} s)",
            )
        if prev is not None and r.timestamp <= prev.timestamp:
            return Verdict.reject(
                Reason.TIMESTAMP_NOT_INCREASING,
                f"timestamp {r.timestamp} <= last accepted {prev.timestamp}",
            )
        period = info.period_s
        # Only a period that divides the interval puts samples on the interval boundaries,
        # which is what makes counter deltas per interval exact.
        if period > 0 and self.station.interval_s % period == 0:
            offset = (r.timestamp - self.station.grid_start) % period
            if offset:
                return Verdict.reject(
                    Reason.OFF_GRID_TIMESTAMP,
                    f"timestamp {r.timestamp} is {offset} s off the {period} s sampling grid",
                )
        class_factor = BPS + info.accuracy_class_bps
        if abs(r.power_w) * BPS > info.rated_power_w * class_factor:
            return Verdict.reject(
                Reason.POWER_OUT_OF_RANGE,
                f"|{r.power_w} W| exceeds rated {info.rated_power_w} W "
                f"x (1 + {info.accuracy_class_bps} bps)",
            )
        if info.kind is DeviceKindName.BMS and not (
            self.station.soc_min_bps <= r.soc_bps <= self.station.soc_max_bps
        ):
            return Verdict.reject(
                Reason.SOC_OUT_OF_RANGE,
                f"SOC {r.soc_bps} bps outside [{self.station.soc_min_bps}, "
                f"{self.station.soc_max_bps}]",
            )
        if info.acc32 and (r.charged_wh >= ACC32 or r.discharged_wh >= ACC32):
            return Verdict.reject(
                Reason.MALFORMED, "acc32 device sent a counter of 2^32 Wh or more"
            )
        flags = _alarm_flags(r.alarm_bits)
        if prev is None:
            for name, raw, base in (
                ("chargedWh", r.charged_wh, info.baseline_charged_wh),
                ("dischargedWh", r.discharged_wh, info.baseline_discharged_wh),
            ):
                if raw < base:
                    return Verdict.reject(
                        Reason.BELOW_BASELINE,
                        f"{name} {raw} Wh is below the meter's on-chain baseline {base} Wh: a "
                        "replaced meter needs a baseline of its own (setBaseline)",
                    )
            return Verdict(flags=flags)
        deltas: list[int] = []
        for name, new, old in (
            ("chargedWh", r.charged_wh, prev.charged_raw),
            ("dischargedWh", r.discharged_wh, prev.discharged_raw),
        ):
            delta = new - old
            if delta < 0 and info.acc32:
                delta += ACC32  # a 32-bit accumulator wrapped; bounded by the energy check
                if not _energy_plausible(delta, info, r.timestamp - prev.timestamp):
                    return Verdict.reject(
                        Reason.COUNTER_DECREASED,
                        f"{name} went from {old} to {new}: too far for an acc32 rollover",
                    )
            elif delta < 0:
                return Verdict.reject(Reason.COUNTER_DECREASED, f"{name} went {old} -> {new}")
            if not _energy_plausible(delta, info, r.timestamp - prev.timestamp):
                return Verdict.reject(
                    Reason.ENERGY_OUT_OF_RANGE,
                    f"{name} rose {delta} Wh in {r.timestamp - prev.timestamp} s, more than "
                    f"rated {info.rated_power_w} W x (1 + {info.accuracy_class_bps} bps) allows",
                )
            deltas.append(delta)
        return Verdict(flags=flags, charged_delta_wh=deltas[0], discharged_delta_wh=deltas[1])

    def _commit(
        self, key: bytes, signed: SignedReading, prev: DeviceState | None, verdict: Verdict
    ) -> None:
        r = signed.reading
        if prev is None:
            self._states[key] = DeviceState(
                r.seq,
                r.timestamp,
                r.charged_wh,
                r.discharged_wh,
                r.charged_wh,
                r.discharged_wh,
                r.soc_bps,
            )
            return
        prev.seq = r.seq
        prev.timestamp = r.timestamp
        prev.charged_raw = r.charged_wh
        prev.discharged_raw = r.discharged_wh
        prev.charged_total += verdict.charged_delta_wh
        prev.discharged_total += verdict.discharged_delta_wh
        prev.soc_bps = r.soc_bps


def _energy_plausible(delta_wh: int, info: DeviceInfo, elapsed_s: int) -> bool:
    # Counters are whole Wh, so one reading can show up to 1 Wh more than was metered.
    limit_x = info.rated_power_w * elapsed_s * (BPS + info.accuracy_class_bps)
    return (delta_wh - 1) * 3600 * BPS <= limit_x


def _alarm_flags(bits: int) -> tuple[str, ...]:
    if not bits & OVER_ALARM_MASK:
        return ()
    return tuple(name for name, bit in OVER_ALARMS.items() if bits & bit)


def malformed(detail: str) -> Verdict:
    return Verdict.reject(Reason.MALFORMED, detail)


def check_energy_balance(
    station: StationInfo,
    *,
    charged_wh: int,
    discharged_wh: int,
    soc_start_bps: int,
    soc_end_bps: int,
    soh_bps: int,
    eta_max_bps: int = BPS,
    tolerance_wh: int | None = None,
) -> Verdict:
    """discharged <= eta_max x charged + dSOC x capacity x SOH + tolerance over one window.

    eta_max defaults to 1, not the round-trip efficiency: when the pack stores net energy in the
    window, the charging losses make `eta_rt x charged + dSOC x capacity` smaller than what was
    legitimately discharged, so only a one-way bound is sound for a short window. The default
    tolerance covers SOC quantisation (1 bps at each end) and 1 Wh counter rounding each side.
    """
    usable_x = station.capacity_wh * soh_bps  # Wh x 10^4
    if tolerance_wh is None:
        tolerance_wh = -(-2 * usable_x // (BPS * BPS)) + 2
    released_x = (soc_start_bps - soc_end_bps) * usable_x  # Wh x 10^8
    lhs = discharged_wh * BPS * BPS
    rhs = eta_max_bps * charged_wh * BPS + released_x + tolerance_wh * BPS * BPS
    if lhs > rhs:
        return Verdict.reject(
            Reason.ENERGY_BALANCE,
            f"discharged {discharged_wh} Wh > {eta_max_bps} bps x charged {charged_wh} Wh "
            f"+ SOC {soc_start_bps}->{soc_end_bps} bps of {station.capacity_wh} Wh x SOH "
            f"{soh_bps} bps + {tolerance_wh} Wh",
        )
    return ACCEPTED


def check_meter_bms(
    *,
    meter_charged_wh: int,
    meter_discharged_wh: int,
    bms_charged_wh: int,
    bms_discharged_wh: int,
    meter_class_bps: int,
    bms_class_bps: int,
    meter_count: int = 1,
) -> Verdict:
    """The participant meters' summed deltas and the BMS-integrated deltas over one interval
    agree within their combined accuracy (+1 Wh rounding per counter at each end)."""
    for what, meters, bms in (
        ("charged", meter_charged_wh, bms_charged_wh),
        ("discharged", meter_discharged_wh, bms_discharged_wh),
    ):
        allowed_x = meters * meter_class_bps + bms * bms_class_bps + 2 * (meter_count + 1) * BPS
        if abs(meters - bms) * BPS > allowed_x:
            return Verdict.reject(
                Reason.METER_BMS_MISMATCH,
                f"{what}: meters {meters} Wh vs BMS {bms} Wh, beyond classes "
                f"{meter_class_bps}/{bms_class_bps} bps",
            )
    return ACCEPTED
