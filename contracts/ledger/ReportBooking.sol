// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IRegistry} from "../interfaces/IRegistry.sol";
import {StationWord} from "../types/StationWord.sol";
import {AccountWord} from "../types/AccountWord.sol";
import {IStorageLedger} from "../interfaces/IStorageLedger.sol";
import {LedgerState} from "./LedgerState.sol";

/// @title ReportBooking
/// @notice Books a report's participants into their account words (types/AccountWord.sol): lease
/// cache, counter, balance and avoided checks, the ReportAccepted records and the station totals.
abstract contract ReportBooking is LedgerState {
    function _bookParticipants(Report calldata r, StationWord st, Context memory ctx)
        internal
        returns (Job memory job)
    {
        ParticipantDelta[] calldata ps = r.participants;
        uint256 n = ps.length;
        uint256 stationId = r.stationId;
        job.stationId = r.stationId;
        job.intervalStart = r.intervalStart;
        job.effBps = st.effBps();
        job.gramsPerMWh = ctx.gramsPerMWh;
        job.leaseEpoch = ctx.leaseEpoch;
        job.records = _newRecords(n);
        bytes memory records = job.records;
        uint256 at;
        assembly ("memory-safe") {
            at := ps.offset
            mstore(add(job, 0x100), add(records, 0x20)) // job.cursor: first record (Job layout at _bookOne)
        }
        uint256 previous;
        for (uint256 i; i < n; ++i) {
            uint256 who;
            uint256 key;
            uint256 a;
            // Participant word of ps[i] (three static words each, from `at`; bounds checked by the ABI
            // decoder on r.participants) and the account word at the Solidity mapping slot
            // keccak256(key . _accounts.slot), computed in scratch space. Dirty upper bits revert
            // without data, as the ABI decoder did.
            assembly ("memory-safe") {
                who := calldataload(at)
                if shr(160, who) { revert(0, 0) }
                key := or(shl(160, stationId), who)
                mstore(0x00, key)
                mstore(0x20, _accounts.slot)
                a := sload(keccak256(0x00, 0x40))
            }
            if (who <= previous) {
                revert StorageLedgerParticipantsNotAscending(
                    address(uint160(previous)), address(uint160(who))
                );
            }
            previous = who;
            // Cached lease valid for this start: same registry lease epoch and start below the cached
            // (rounded-down) validTo; otherwise re-read and check the registry's lease.
            // (AccountWord's leaseEpoch and leaseValidBefore, on the raw word: the typed getters'
            // extra masking cost about 60 gas per participant here.)
            if ((a >> 224) != job.leaseEpoch || job.intervalStart >= ((a >> 200) & 0xffffff) << 16) {
                a = _refreshLease(job, who, key, a);
            }
            _bookOne(job, at, who, a);
            // at < calldatasize (< 2^64): no overflow.
            unchecked {
                at += 96;
            }
        }
    }

    /// @dev The account word `a` with the lease fields replaced by the registry's current lease, which
    /// must be active at the report's intervalStart (leasedWh > 0, validFrom <= start < validTo, exact
    /// registry values). Called when the cached epoch is not the registry's current one or the start
    /// reached the cached (rounded-down) validTo. Nothing is stored here: _bookOne writes the word.
    /// validFrom need not be cached: the cache is only ever stored by a report of this station that
    /// passed this check (start >= validFrom) under the same lease epoch (the lease is unchanged while
    /// the epoch is), and later accepted reports of the station start later (no overlap).
    /// For a never-booked account (a == 0: every booked word has leasedWh > 0) it also creates the
    /// account's _consumed slot with "consumed 0" (value 1); consumed is still 0 then, since nothing
    /// can be consumed from an account that never booked (unissued 0).
    function _refreshLease(Job memory job, uint256 who, uint256 key, uint256 a) internal returns (uint256) {
        IRegistry.Lease memory l = _registry.leaseOf(job.stationId, address(uint160(who)));
        uint64 start = job.intervalStart;
        if (l.leasedWh == 0 || start < l.validFrom || start >= l.validTo) {
            revert StorageLedgerNoActiveLease(job.stationId, address(uint160(who)), start);
        }
        if (a == 0) _consumed[key] = 1;
        return AccountWord.unwrap(AccountWord.wrap(a).withLease(l.leasedWh, l.validTo, job.leaseEpoch));
    }

    /// @dev Book the next participant, whose ParticipantDelta starts at calldata offset `at`: lease, counter,
    /// balance and avoided checks (each with its own custom error, in the order IStorageLedger lists
    /// them; the active-lease check is done by _bookParticipants / _refreshLease), the account write, the
    /// event record and the job totals. `who` and `a` (the account word, its lease fields already
    /// checked or refreshed for this report) come from _bookParticipants.
    ///
    /// Assembly because this is the per-participant hot path (checked Solidity over calldata structs
    /// cost about 3 000 gas more per participant, see docs/contracts.md "Gas"). What it assumes and
    /// why it is safe:
    /// - Job in memory is nine words in declaration order (Solidity's memory struct layout):
    ///   stationId 0x00, intervalStart 0x20, effBps 0x40, gramsPerMWh 0x60, leaseEpoch 0x80,
    ///   chargedWh 0xa0, dischargedWh 0xc0, records (pointer) 0xe0, cursor 0x100; all values clean
    ///   (written by _bookParticipants from typed values). cursor starts at the records' data and
    ///   advances 48 bytes per participant: records has room for exactly n records plus a word.
    /// - Free memory past the pointer holds the revert data; nothing in this block allocates.
    /// - A ParticipantDelta in calldata is three static words (participant, chargedWhTotal,
    ///   dischargedWhTotal); `at` was bounds-checked by the ABI decoder when
    ///   _hashParticipants received `r.participants`. A word with dirty upper bits reverts without
    ///   data, exactly like the ABI decoder did (and such a report could not carry oracle signatures
    ///   anyway: its digest differs from the one of the clean values).
    /// - Arithmetic: reported counters are < 2^64 (and < 2^48 once past the CounterTooLarge check),
    ///   effBps <= 10 000, so charged * effBps < 2^78 and no
    ///   sum or product below wraps; the subtractions are guarded by the comparisons before them,
    ///   except sub(stored, prevDischarged) in the BalanceNegative arguments, which the previous
    ///   report's balance check keeps >= 0 (effBps is immutable per station). The avoided delta is
    ///   computed in two's complement: |net| < 2^48 and gramsPerMWh < 2^32, so mul cannot wrap and
    ///   sdiv truncates toward zero like Solidity's signed division.
    /// - Storage slots are the Solidity mapping slots keccak256(key . slot) of _accounts, computed in
    ///   scratch space (0x00-0x3f); the account word layout is the one documented at _accounts.
    /// - The error selectors come from BOOKING_ERRORS (the compiler's IStorageLedger selectors,
    ///   32 bits each, in one word computed at the top).
    /// - Memory: only the scratch space, the free memory past the pointer (revert data), the Job's
    ///   own words and the preallocated records buffer are written, hence "memory-safe".
    function _bookOne(Job memory job, uint256 at, uint256 who, uint256 a) internal {
        // The custom errors raised below, 32 bits each (lane 0 lowest); the optimizer folds this
        // to one constant word.
        uint256 errors = uint256(uint32(StorageLedgerCounterTooLarge.selector))
            | (uint256(uint32(StorageLedgerCounterDecreased.selector)) << 32)
            | (uint256(uint32(StorageLedgerBalanceNegative.selector)) << 64)
            | (uint256(uint32(StorageLedgerLeaseExceeded.selector)) << 96)
            | (uint256(uint32(StorageLedgerAvoidedOverflow.selector)) << 128);
        assembly ("memory-safe") {
            // Revert data is built past the free memory pointer: selector at m, stationId at m + 4 and
            // the participant at m + 0x24 are written up front (nothing else allocates in this block),
            // so a failing check only adds its own arguments.
            mstore(add(mload(0x40), 0x04), mload(job))
            mstore(add(mload(0x40), 0x24), who)
            // Revert with custom error `sel`(stationId, participant, c[, d]); `words` arguments in all.
            function fail(sel, c, d, words) {
                let m := mload(0x40)
                // Writing the selector word zeroes m + 4 .. m + 31: the high 28 bytes of the stationId
                // word, zero anyway (stationId < 2^32).
                mstore(m, shl(224, sel))
                mstore(add(m, 0x44), c)
                mstore(add(m, 0x64), d)
                revert(m, add(4, shl(5, words)))
            }
            let charged := calldataload(add(at, 0x20))
            let discharged := calldataload(add(at, 0x40))
            if shr(64, or(charged, discharged)) { revert(0, 0) }
            // Account counters are 48 bits wide (MAX_COUNTER_WH).
            if gt(charged, MAX_COUNTER_WH) { fail(and(errors, 0xffffffff), charged, MAX_COUNTER_WH, 4) }
            if gt(discharged, MAX_COUNTER_WH) { fail(and(errors, 0xffffffff), discharged, MAX_COUNTER_WH, 4) }

            // The account key (station << 160 | participant) and its _accounts slot, for the write below.
            mstore(0x00, or(shl(160, mload(job)), who))
            mstore(0x20, _accounts.slot)
            let chargedWh
            let dischargedWh
            {
                let prevCharged := and(a, MASK48)
                let prevDischarged := and(shr(48, a), MASK48)
                if lt(charged, prevCharged) { fail(and(shr(32, errors), 0xffffffff), prevCharged, charged, 4) }
                if lt(discharged, prevDischarged) { fail(and(shr(32, errors), 0xffffffff), prevDischarged, discharged, 4) }
                chargedWh := sub(charged, prevCharged)
                dischargedWh := sub(discharged, prevDischarged)
            }

            // Cumulative efficiency rule: balance = floor(chargedTotal * eff / 10000) - dischargedTotal.
            // balanceWh holds stored = floor(chargedTotal * eff / 10000) until the subtraction below.
            let balanceWh := div(mul(charged, mload(add(job, 0x40))), 10000)
            if gt(discharged, balanceWh) {
                // availableWh = stored - previous dischargedTotal (= discharged - dischargedWh).
                let available := and(sub(balanceWh, sub(discharged, dischargedWh)), 0xffffffffffffffff)
                fail(and(shr(64, errors), 0xffffffff), available, dischargedWh, 4)
            }
            balanceWh := sub(balanceWh, discharged)
            // Cached leasedWh (clamped to 2^48 - 1 only when the registry's is larger, and then no
            // balance < 2^48 exceeds it, so a revert always reports the registry's value).
            if gt(balanceWh, and(shr(152, a), MASK48)) {
                fail(and(shr(96, errors), 0xffffffff), balanceWh, and(shr(152, a), MASK48), 4)
            }

            // avoidedDelta = (dischargedWh - chargedWh) * gramsPerMWh / 1e6, signed.
            let avoidedDelta := sdiv(mul(sub(dischargedWh, chargedWh), mload(add(job, 0x60))), 1000000)
            {
                // signextend(6, .) reads the int56 at [96,152) (the bits above it are overwritten).
                let avoided := add(signextend(6, shr(96, a)), avoidedDelta)
                // Outside the int56 range iff sign-extending its low 56 bits changes it.
                if iszero(eq(signextend(6, avoided), avoided)) { fail(shr(128, errors), avoided, 0, 3) }
                // and(avoided, 2^56 - 1) is its int56 two's complement; the lease fields (bits
                // 152..255 of `a`) are kept. Scratch space still holds (key, _accounts.slot): nothing
                // above wrote to 0x00-0x3f.
                sstore(
                    keccak256(0x00, 0x40),
                    or(
                        or(charged, shl(48, discharged)),
                        or(shl(96, and(avoided, 0xffffffffffffff)), shl(152, shr(152, a)))
                    )
                )
            }

            // Next record of ReportAccepted.participants (layout in IStorageLedger), at job.cursor:
            // full-word writes left to right, each zeroing only bytes a later write fills; the last
            // one's 20 trailing zero bytes land in the records buffer's spare word (_newRecords),
            // keeping the tail zeroed.
            let rec := mload(add(job, 0x100))
            mstore(add(job, 0x100), add(rec, 48))
            mstore(rec, shl(96, who))
            mstore(add(rec, 20), shl(192, chargedWh))
            mstore(add(rec, 28), shl(192, dischargedWh))
            // |avoidedDelta| < 2^64 * 2^32 / 10^6 < 2^77: its low 96 bits are its two's complement.
            mstore(add(rec, 36), shl(160, avoidedDelta))

            // Job totals: sums of at most 2^64 values below 2^64 each, no overflow.
            mstore(add(job, 0xa0), add(mload(add(job, 0xa0)), chargedWh))
            mstore(add(job, 0xc0), add(mload(add(job, 0xc0)), dischargedWh))
        }
    }

    /// @dev Zeroed buffer for n records plus a spare word for the last record's trailing mstore.
    function _newRecords(uint256 n) internal pure returns (bytes memory records) {
        records = new bytes(n * RECORD_BYTES + 32);
        assembly ("memory-safe") {
            mstore(records, mul(n, 48))
        }
    }

    /// @dev sumDischarged * 10000 <= sumCharged * effBps + capacityWh * prevSoc * prevSoh / 10000.
    function _checkEnergyBalance(Report calldata r, StationWord st, Job memory job) internal pure {
        uint256 storedWhBps = (uint256(st.capacityWh()) * st.socBps() * st.sohBps()) / BPS;
        if (job.dischargedWh * BPS > job.chargedWh * st.effBps() + storedWhBps) {
            revert StorageLedgerEnergyBalanceViolated(
                r.stationId, r.intervalStart, job.dischargedWh, job.chargedWh, storedWhBps / BPS
            );
        }
    }
}
