// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IEmissionFactors} from "./interfaces/IEmissionFactors.sol";
import {IStorageLedger} from "./interfaces/IStorageLedger.sol";

/// @title StorageLedger
/// @notice Books oracle-signed interval reports into per-participant energy and avoided-emissions
/// accounts. Errors, events, the report types and the accounting rules are documented in IStorageLedger.
/// @dev Gas layout (docs/contracts.md, "Storage layout"): per (station, participant) one account slot
/// (counters, avoided grams and the cached lease terms; read and written per report) and one consumed
/// slot (written on consumeAvoided only); per station one parameter/state slot and one region slot;
/// one slot per 128 consecutive report keys (acceptance bits + the latest bytes16 digest). The
/// registry is called once per transaction (oracle config + lease epoch); oracle membership and lease terms are cached here and
/// revalidated by version.
contract StorageLedger is EIP712, IStorageLedger {
    // ------------------------------------------------------------------ storage

    bytes32 private constant PARTICIPANT_DELTA_TYPEHASH = keccak256(
        "ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)"
    );
    bytes32 private constant REPORT_TYPEHASH = keccak256(
        "Report(uint32 stationId,uint64 intervalStart,uint64 intervalEnd,bytes32 readingsRoot,uint32 readingCount,bytes32 configDigest,uint16 socBps,uint16 sohBps,uint32 cycleCount,uint32 alarmBits,ParticipantDelta[] participants)ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)"
    );
    bytes32 private constant LEDGER_WRITER_ROLE = keccak256("LEDGER_WRITER_ROLE");
    bytes32 private constant GRID_OPERATOR_ROLE = keccak256("GRID_OPERATOR_ROLE");
    uint256 private constant BPS = 10_000;
    /// @dev Bytes per participant record in ReportAccepted.participants.
    uint256 private constant RECORD_BYTES = 48;
    uint256 private constant MAX_TIME = type(uint40).max;
    uint256 private constant MASK48 = 0xffffffffffff; // type(uint48).max, literal for assembly
    /// @dev Largest cumulative Wh counter an account can hold (2^48 - 1 Wh, about 281 TWh).
    uint256 private constant MAX_COUNTER_WH = 0xffffffffffff; // type(uint48).max
    uint256 private constant MASK128 = type(uint128).max;
    /// @dev Custom error selectors for the assembly in _bookOne: bytes4(keccak256(signature)) of
    /// StorageLedgerCounterDecreased(uint32,address,uint64,uint64),
    /// StorageLedgerBalanceNegative(uint32,address,uint64,uint64),
    /// StorageLedgerLeaseExceeded(uint32,address,uint64,uint64),
    /// StorageLedgerAvoidedOverflow(uint32,address,int256),
    /// StorageLedgerCounterTooLarge(uint32,address,uint64,uint64).
    uint256 private constant ERR_COUNTER_DECREASED = 0xd4380c88;
    uint256 private constant ERR_BALANCE_NEGATIVE = 0x27231912;
    uint256 private constant ERR_LEASE_EXCEEDED = 0xe251cd06;
    uint256 private constant ERR_AVOIDED_OVERFLOW = 0x6618d3cb;
    uint256 private constant ERR_COUNTER_TOO_LARGE = 0x3fb79aca;

    /// @dev Cached registry parameters plus the latest interval of a station: one slot (248 bits).
    /// intervalSeconds == 0 means "not cached yet"; lastEnd == 0 means "no report yet".
    struct StationState {
        uint40 lastEnd;
        uint16 socBps;
        uint16 sohBps;
        uint32 factorVersion;
        uint32 intervalSeconds;
        uint32 gridOffset;
        uint16 effBps;
        uint64 capacityWh;
    }

    /// @dev Values read once per transaction (registry config, last factor looked up).
    struct Context {
        bytes32 configDigest;
        uint8 threshold;
        uint32 oracleVersion;
        uint32 leaseEpoch;
        bytes32 factorRegion;
        uint32 factorVersion;
        uint32 gramsPerMWh;
    }

    /// @dev One report being booked: its constants and running totals.
    struct Job {
        uint32 stationId;
        uint64 intervalStart;
        uint16 effBps;
        uint32 gramsPerMWh;
        uint32 leaseEpoch;
        uint256 chargedWh;
        uint256 dischargedWh;
        bytes records;
        uint256 cursor; // memory address of the next record in `records` (_bookOne)
    }

    IRegistry private immutable _registry;
    IEmissionFactors private immutable _factors;

    /// @dev Packed StationState, see _packStation.
    mapping(uint32 stationId => uint256) private _stations;
    mapping(uint32 stationId => bytes32) private _regions;
    /// @dev Keyed by _accountKey. chargedWh u48 [0,48) | dischargedWh u48 [48,96) | avoidedGrams int56
    /// [96,152) | leasedWh u48 [152,200) | validTo >> 16 u24 [200,224) | lease epoch u32 [224,256).
    /// chargedWh/dischargedWh are the last cumulative counters (above 2^48 - 1 a report reverts with
    /// StorageLedgerCounterTooLarge); the balance is not stored: floor(charged * effBps / 10000) -
    /// discharged (effBps is immutable per station). The lease fields cache the registry's lease
    /// under its lease epoch (written by _refreshLease, see there): leasedWh clamped to 2^48 - 1
    /// (changes no decision: a balance is at most a counter), validTo (clamped to 2^40 - 1) rounded
    /// down to a multiple of 2^16 s, so the cache only answers "active" for starts below that bound
    /// and the last <= 18.2 hours of a lease are checked against the registry. validFrom is not cached.
    mapping(uint256 accountKey => uint256) private _accounts;
    /// @dev Keyed by _accountKey: consumedGrams + 1 in bits [0,128) (0 = slot never written,
    /// consumed 0) and the attested curtailed Wh in bits [128,256). The first report of an account
    /// writes 1 (_refreshLease), so consumeAvoided and attestCurtailment update an existing slot
    /// instead of creating one (about 17 000 gas less for a participant's first issuance).
    /// consumed <= max avoided <= type(int56).max and curtailed <= charged < 2^48: no overflow.
    mapping(uint256 accountKey => uint256) private _consumed;
    /// @dev Curtailment attested, one bit per interval: interval k (start = k * intervalSeconds +
    /// gridOffset) of a station is bit k & 255 of slot (station << 64 | k >> 8).
    mapping(uint256 bitmapKey => uint256) private _curtailmentAttested;
    /// @dev Report keys, one slot per window of 128 intervals of a station: key (station, k *
    /// intervalSeconds + gridOffset) is bit k & 127 of slot (station << 64 | k >> 7), set once its
    /// report is accepted; bits [128,256) hold bytes16(digest) of the window's latest accepted
    /// report. Every report rewrites its window's slot (a new slot once per 128 intervals) instead
    /// of opening one every second report.
    mapping(uint256 windowKey => uint256) private _reportKeys;
    /// @dev Oracle signer => the registry oracle-set version its membership was last confirmed for.
    mapping(address signer => uint256) private _oracleSeen;
    /// @dev _signerSetKey(oracle-set version, ascending signers) => 1 once every one of those signers
    /// was confirmed an oracle under that version: a report signed by a known signer set costs one
    /// storage read for membership instead of one per signer.
    mapping(bytes32 setKey => uint256) private _oracleSetSeen;
    /// @dev Keyed by _accountKey, written only by setBaseline, never read on the report path.
    /// Word 0: device [0,160) | epoch u32 [160,192). Word 1: rawChargedWh u64 [0,64) |
    /// rawDischargedWh u64 [64,128) | bookedChargedWh u64 [128,192) | bookedDischargedWh u64 [192,256).
    mapping(uint256 accountKey => uint256[2]) private _baselines;

    constructor(IRegistry registry_, IEmissionFactors factors_) EIP712("ESSLedger", "1") {
        _registry = registry_;
        _factors = factors_;
    }

    // ------------------------------------------------------------------ internal

    // Hand packing: one SLOAD/SSTORE per slot instead of one per struct member (solc without via-IR
    // reads and writes packed struct members one by one).

    function _accountKey(uint32 stationId, address participant) internal pure returns (uint256) {
        return (uint256(stationId) << 160) | uint256(uint160(participant));
    }

    /// @dev Station word: lastEnd [0,40) | socBps [40,56) | sohBps [56,72) | factorVersion [72,104) |
    /// intervalSeconds [104,136) | gridOffset [136,168) | effBps [168,184) | capacityWh [184,248).
    function _packStation(StationState memory st) internal pure returns (uint256) {
        return uint256(st.lastEnd) | (uint256(st.socBps) << 40) | (uint256(st.sohBps) << 56)
            | (uint256(st.factorVersion) << 72) | (uint256(st.intervalSeconds) << 104) | (uint256(st.gridOffset) << 136)
            | (uint256(st.effBps) << 168) | (uint256(st.capacityWh) << 184);
    }

    function _unpackStation(uint256 w) internal pure returns (StationState memory st) {
        st.lastEnd = uint40(w);
        st.socBps = uint16(w >> 40);
        st.sohBps = uint16(w >> 56);
        st.factorVersion = uint32(w >> 72);
        st.intervalSeconds = uint32(w >> 104);
        st.gridOffset = uint32(w >> 136);
        st.effBps = uint16(w >> 168);
        st.capacityWh = uint64(w >> 184);
    }

    function _loadContext() internal view returns (Context memory ctx) {
        (ctx.configDigest, ctx.threshold, ctx.oracleVersion, ctx.leaseEpoch) = _registry.submissionConfig();
    }

    /// @dev EIP-712 hashStruct of the participant array: keccak256 of the concatenated struct hashes.
    /// Assembly over calldata: a ParticipantDelta is three static words, so the array body is n * 96
    /// contiguous bytes and each struct hash is keccak256(typehash || those 96 bytes). Dirty upper bits
    /// cannot sneak through: they change the digest (no oracle signed it), and booking (_bookParticipants,
    /// _bookOne) reverts on them, as the ABI decoder would. Uses memory past the free pointer as scratch only.
    function _hashParticipants(ParticipantDelta[] calldata ps) internal pure returns (bytes32 h) {
        bytes32 typehash = PARTICIPANT_DELTA_TYPEHASH;
        assembly ("memory-safe") {
            let n := ps.length
            let hashes := mload(0x40)
            let buf := add(hashes, shl(5, n))
            mstore(buf, typehash)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                calldatacopy(add(buf, 0x20), add(ps.offset, mul(i, 0x60)), 0x60)
                mstore(add(hashes, shl(5, i)), keccak256(buf, 0x80))
            }
            h := keccak256(hashes, shl(5, n))
        }
    }

    /// @dev The ten static Report fields are the first ten head words of `r` in calldata, in type
    /// order; hashStruct = keccak256(typehash || those 320 bytes || participants hash). Same dirty-bit
    /// argument as _hashParticipants (the fields booking uses are read through the ABI decoder; the
    /// ones only logged are masked to their type in _announce).
    function _hashReport(Report calldata r) internal view returns (bytes32) {
        bytes32 participantsHash = _hashParticipants(r.participants);
        bytes32 typehash = REPORT_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, typehash)
            calldatacopy(add(buf, 0x20), r, 0x140)
            mstore(add(buf, 0x160), participantsHash)
            structHash := keccak256(buf, 0x180)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev Recover the signers, require them ascending, current oracles and at least `threshold` many.
    /// Fast path: all signatures recover, the signers ascend and this signer set was confirmed under
    /// the current oracle-set version (_oracleSetSeen). Otherwise the per-signer loop (_verifyEach)
    /// runs, which reverts with exactly the error and order it always had, and on success the set is
    /// remembered. Failing checks always revert, so remembering the set only skips lookups whose
    /// outcome (each signer an oracle under this version) is already known.
    function _verifySigners(bytes32 digest, bytes[] calldata signatures, Context memory ctx)
        internal
        returns (address[] memory signers)
    {
        uint256 n = signatures.length;
        if (n < ctx.threshold) revert StorageLedgerQuorumNotReached(n, ctx.threshold);
        signers = new address[](n);
        address previous;
        bool clean = true;
        for (uint256 i; i < n; ++i) {
            (address signer, uint256 err) = _recover(digest, signatures[i]);
            if (err != 0 || signer <= previous) {
                clean = false;
                break;
            }
            signers[i] = signer;
            previous = signer;
        }
        if (!clean) {
            _verifyEach(digest, signatures, ctx, signers); // reverts
            return signers;
        }
        bytes32 setKey = _signerSetKey(ctx.oracleVersion, signers);
        if (_oracleSetSeen[setKey] != 0) return signers;
        // Recovery and order already passed: only the membership checks remain, in signer order.
        for (uint256 i; i < n; ++i) {
            _requireOracle(signers[i], ctx.oracleVersion);
        }
        _oracleSetSeen[setKey] = 1;
    }

    /// @dev The original per-signature loop: recover, ascending, oracle membership, reverting on the
    /// first failure. Only reached when a signature does not recover or the signers do not ascend.
    function _verifyEach(bytes32 digest, bytes[] calldata signatures, Context memory ctx, address[] memory signers)
        internal
    {
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, uint256 err) = _recover(digest, signatures[i]);
            if (err != 0) revert StorageLedgerSignatureInvalid(i, uint8(err)); // err <= 3
            if (signer <= previous) revert StorageLedgerSignersNotAscending(previous, signer);
            _requireOracle(signer, ctx.oracleVersion);
            signers[i] = signer;
            previous = signer;
        }
    }

    /// @dev keccak256(version || keccak256(signer words)). The signers' words are the items of the
    /// memory array (after its length word), hashed in place; the outer hash is built in scratch
    /// space 0x00-0x3f. Nothing is written outside the scratch space, hence "memory-safe".
    function _signerSetKey(uint32 version, address[] memory signers) internal pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, version)
            mstore(0x20, keccak256(add(signers, 0x20), shl(5, mload(signers))))
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev ECDSA.tryRecover(digest, signature) of OpenZeppelin 5.0.2 read straight from calldata
    /// (no copy of the 65 bytes to memory): the same outcomes and error codes (RecoverError:
    /// 1 InvalidSignature, 2 InvalidSignatureLength, 3 InvalidSignatureS). Layout: r ‖ s ‖ v,
    /// 65 bytes from sig.offset (bounds checked by the ABI decoder on `signatures[i]`); v is the
    /// 65th byte. The ecrecover precompile (address 1) is called with a 128-byte input built past the
    /// free memory pointer (scratch, pointer not moved) and writes its 32-byte output to scratch
    /// 0x00; it returns no data for an invalid signature, hence the zeroed output word first. A
    /// failing call (out of gas) reverts like Solidity's ecrecover builtin.
    function _recover(bytes32 digest, bytes calldata sig) internal view returns (address signer, uint256 err) {
        if (sig.length != 65) return (address(0), uint256(ECDSA.RecoverError.InvalidSignatureLength));
        assembly ("memory-safe") {
            let s := calldataload(add(sig.offset, 0x20))
            switch gt(s, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)
            case 1 { err := 3 }
            default {
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), byte(0, calldataload(add(sig.offset, 0x40))))
                mstore(add(m, 0x40), calldataload(sig.offset))
                mstore(add(m, 0x60), s)
                mstore(0x00, 0)
                if iszero(staticcall(gas(), 1, m, 0x80, 0x00, 0x20)) { revert(0, 0) }
                signer := mload(0x00)
                if iszero(signer) { err := 1 }
            }
        }
    }

    /// @dev Membership confirmed by the registry is remembered per oracle-set version: a signer costs
    /// one local read per transaction instead of a registry call.
    function _requireOracle(address signer, uint32 version) internal {
        if (_oracleSeen[signer] == version) return;
        if (_registry.oracleIndex(signer) == 0) revert StorageLedgerSignerNotOracle(signer);
        _oracleSeen[signer] = version;
    }

    /// @dev The station word and its unpacked form, caching the registry parameters on first use.
    function _loadStation(uint32 stationId) internal returns (uint256 word, StationState memory st) {
        word = _stations[stationId];
        st = _unpackStation(word);
        if (st.intervalSeconds == 0) {
            st = _cacheStation(stationId);
            word = _packStation(st);
        }
    }

    /// @dev The station word's state part (lastEnd, socBps, sohBps, factorVersion: bits [0,104), layout
    /// at _packStation) replaced in place; the cached registry parameters above it are kept.
    /// intervalEnd <= MAX_TIME (checked in _checkGrid) fits its 40 bits.
    function _storeStationState(Report calldata r, uint256 word, uint32 factorVersion) internal {
        _stations[r.stationId] = (word & ~uint256(type(uint104).max)) | uint256(r.intervalEnd)
            | (uint256(r.socBps) << 40) | (uint256(r.sohBps) << 56) | (uint256(factorVersion) << 72);
    }

    function _cacheStation(uint32 stationId) internal returns (StationState memory st) {
        if (stationId == 0 || stationId > _registry.stationCount()) revert StorageLedgerUnknownStation(stationId);
        IRegistry.Station memory s = _registry.stationOf(stationId);
        st.intervalSeconds = s.intervalSeconds;
        st.gridOffset = uint32(s.gridStart % s.intervalSeconds); // < intervalSeconds, fits uint32
        st.effBps = s.roundTripEfficiencyBps;
        st.capacityWh = s.capacityWh;
        _stations[stationId] = _packStation(st);
        _regions[stationId] = s.region;
        emit StationCached(
            stationId, s.region, s.intervalSeconds, s.gridStart, s.roundTripEfficiencyBps, s.capacityWh
        );
    }

    /// @dev Emission factor of the station's region; the factor registry is read once per region per call.
    function _factorOf(uint32 stationId, Context memory ctx) internal view {
        bytes32 region = _regions[stationId];
        if (region != ctx.factorRegion) {
            (ctx.factorVersion, ctx.gramsPerMWh) = _factors.currentFactor(region);
            ctx.factorRegion = region;
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
        uint256 leased = l.leasedWh < MASK48 ? l.leasedWh : MASK48;
        uint256 to = l.validTo < MAX_TIME ? l.validTo : MAX_TIME;
        if (a == 0) _consumed[key] = 1;
        return (a & ((1 << 152) - 1)) | (leased << 152) | ((to >> 16) << 200) | (uint256(job.leaseEpoch) << 224);
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
    /// - The error selectors are the ERR_* constants (bytes4 of keccak256 of the ABI signatures listed
    ///   above them; the revert tests in tests/contracts check every one but AvoidedOverflow).
    /// - Memory: only the scratch space, the free memory past the pointer (revert data), the Job's
    ///   own words and the preallocated records buffer are written, hence "memory-safe".
    function _bookOne(Job memory job, uint256 at, uint256 who, uint256 a) internal {
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
            if gt(charged, MAX_COUNTER_WH) { fail(ERR_COUNTER_TOO_LARGE, charged, MAX_COUNTER_WH, 4) }
            if gt(discharged, MAX_COUNTER_WH) { fail(ERR_COUNTER_TOO_LARGE, discharged, MAX_COUNTER_WH, 4) }

            // The account key (station << 160 | participant) and its _accounts slot, for the write below.
            mstore(0x00, or(shl(160, mload(job)), who))
            mstore(0x20, _accounts.slot)
            let chargedWh
            let dischargedWh
            {
                let prevCharged := and(a, MASK48)
                let prevDischarged := and(shr(48, a), MASK48)
                if lt(charged, prevCharged) { fail(ERR_COUNTER_DECREASED, prevCharged, charged, 4) }
                if lt(discharged, prevDischarged) { fail(ERR_COUNTER_DECREASED, prevDischarged, discharged, 4) }
                chargedWh := sub(charged, prevCharged)
                dischargedWh := sub(discharged, prevDischarged)
            }

            // Cumulative efficiency rule: balance = floor(chargedTotal * eff / 10000) - dischargedTotal.
            // balanceWh holds stored = floor(chargedTotal * eff / 10000) until the subtraction below.
            let balanceWh := div(mul(charged, mload(add(job, 0x40))), 10000)
            if gt(discharged, balanceWh) {
                // availableWh = stored - previous dischargedTotal (= discharged - dischargedWh).
                let available := and(sub(balanceWh, sub(discharged, dischargedWh)), 0xffffffffffffffff)
                fail(ERR_BALANCE_NEGATIVE, available, dischargedWh, 4)
            }
            balanceWh := sub(balanceWh, discharged)
            // Cached leasedWh (clamped to 2^48 - 1 only when the registry's is larger, and then no
            // balance < 2^48 exceeds it, so a revert always reports the registry's value).
            if gt(balanceWh, and(shr(152, a), MASK48)) {
                fail(ERR_LEASE_EXCEEDED, balanceWh, and(shr(152, a), MASK48), 4)
            }

            // avoidedDelta = (dischargedWh - chargedWh) * gramsPerMWh / 1e6, signed.
            let avoidedDelta := sdiv(mul(sub(dischargedWh, chargedWh), mload(add(job, 0x60))), 1000000)
            {
                // signextend(6, .) reads the int56 at [96,152) (the bits above it are overwritten).
                let avoided := add(signextend(6, shr(96, a)), avoidedDelta)
                // Outside the int56 range iff sign-extending its low 56 bits changes it.
                if iszero(eq(signextend(6, avoided), avoided)) { fail(ERR_AVOIDED_OVERFLOW, avoided, 0, 3) }
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

    /// @dev Grid check: intervalStart on the station grid, intervalEnd one interval later, below 2^40.
    function _checkGrid(Report calldata r, StationState memory st) internal pure {
        uint64 start = r.intervalStart;
        if (
            start % st.intervalSeconds != st.gridOffset || r.intervalEnd != uint256(start) + st.intervalSeconds
                || r.intervalEnd > MAX_TIME
        ) revert StorageLedgerIntervalOffGrid(r.stationId, start, r.intervalEnd);
    }

    /// @dev Continuity and state checks.
    function _checkContinuity(Report calldata r, StationState memory st) internal {
        uint64 start = r.intervalStart;
        uint64 previousEnd = st.lastEnd;
        if (previousEnd != 0) {
            if (start < previousEnd) revert StorageLedgerIntervalOverlap(r.stationId, start, previousEnd);
            if (start > previousEnd) emit IntervalGap(r.stationId, previousEnd, start);
        }
        if (r.socBps > BPS || r.sohBps > BPS) revert StorageLedgerStateOutOfRange(r.stationId, r.socBps, r.sohBps);
    }

    /// @dev Whether `start` is on the grid of a cached station (the views' and attestations' test).
    function _onGrid(StationState memory st, uint64 start) internal pure returns (bool) {
        return st.intervalSeconds != 0 && start % st.intervalSeconds == st.gridOffset;
    }

    /// @dev The report-key window slot and bit of an on-grid interval start.
    function _keyOf(uint32 stationId, uint64 start, uint32 intervalSeconds)
        internal
        pure
        returns (uint256 windowKey, uint256 bit)
    {
        uint256 k = start / intervalSeconds; // start = k * intervalSeconds + gridOffset, gridOffset < intervalSeconds
        windowKey = (uint256(stationId) << 64) | (k >> 7);
        bit = k & 127;
    }

    /// @dev Whether bit `bit` is the highest acceptance bit of a window word: its key is the
    /// window's latest accepted one, whose digest prefix the word holds.
    function _isLatest(uint256 keys, uint256 bit) internal pure returns (bool) {
        return (keys & MASK128) >> bit == 1;
    }

    /// @dev A report whose key was already accepted; always a no-op or a revert. The window's
    /// latest key has its digest prefix stored: the same one is a duplicate, another one a
    /// conflict (before any signature check, as a key's record decides only between these two).
    /// An older key keeps only its acceptance bit: the report must pass the config and signature
    /// checks, then it is a duplicate; ReportDuplicate carries its digest, so a quorum that signed
    /// two reports for one interval shows against the key's ReportAccepted.
    function _resubmitted(
        Report calldata r,
        bytes[] calldata signatures,
        Context memory ctx,
        bytes32 digest,
        uint256 keys,
        uint256 bit
    ) internal returns (bool) {
        if (_isLatest(keys, bit)) {
            bytes16 stored = bytes16(uint128(keys >> 128));
            if (stored != bytes16(digest)) {
                revert StorageLedgerReportConflict(r.stationId, r.intervalStart, stored, digest);
            }
        } else {
            _checkConfig(r, ctx);
            _verifySigners(digest, signatures, ctx);
        }
        emit ReportDuplicate(r.stationId, r.intervalStart, digest);
        return false;
    }

    function _checkConfig(Report calldata r, Context memory ctx) internal pure {
        if (r.configDigest != ctx.configDigest) {
            revert StorageLedgerConfigDigestMismatch(r.stationId, r.intervalStart, ctx.configDigest, r.configDigest);
        }
    }

    /// @dev The whole pipeline for one report; false for a duplicate no-op.
    function _submit(Report calldata r, bytes[] calldata signatures, Context memory ctx) internal returns (bool) {
        (uint256 word, StationState memory st) = _loadStation(r.stationId);
        _checkGrid(r, st);
        bytes32 digest = _hashReport(r);
        (uint256 windowKey, uint256 bit) = _keyOf(r.stationId, r.intervalStart, st.intervalSeconds);
        uint256 keys = _reportKeys[windowKey];
        if ((keys >> bit) & 1 != 0) return _resubmitted(r, signatures, ctx, digest, keys, bit);
        _checkConfig(r, ctx);
        address[] memory signers = _verifySigners(digest, signatures, ctx);
        _checkContinuity(r, st);
        _factorOf(r.stationId, ctx);

        Job memory job = _bookParticipants(r, st, ctx);
        _checkEnergyBalance(r, st, job);

        _storeStationState(r, word, ctx.factorVersion);
        // This key's bit set, the window's digest lane replaced (keys only ascend per station).
        _reportKeys[windowKey] = (keys & MASK128) | (uint256(1) << bit) | (uint256(uint128(bytes16(digest))) << 128);
        _announce(r, digest, signers, ctx, job.records);
        return true;
    }

    /// @dev Emit ReportAccepted (signature and data layout in IStorageLedger) with log3 over a buffer
    /// built past the free memory pointer, instead of the ABI encoder's generic calldata and memory
    /// copies. Layout (standard ABI encoding of the non-indexed fields): twelve head words
    /// (intervalEnd, digest, readingsRoot, readingCount, offset of signers = 0x180, socBps, sohBps,
    /// cycleCount, alarmBits, factorVersion, gramsPerMWh, offset of participants), then signers
    /// (length word + one word per address, copied from the memory array: length then items), then
    /// participants (length word + the record bytes padded to a word; records' padding is zero, see
    /// _newRecords / _bookOne). Calldata words: `r` is the offset of the Report head (ten static
    /// words in type order, see _hashReport). stationId, intervalStart, intervalEnd, socBps and
    /// sohBps were already read through the ABI decoder (which rejects dirty bits); readingCount,
    /// cycleCount and alarmBits are masked to 32 bits here. The buffer is scratch only (the free
    /// memory pointer is not moved), hence "memory-safe".
    function _announce(
        Report calldata r,
        bytes32 digest,
        address[] memory signers,
        Context memory ctx,
        bytes memory records
    ) internal {
        bytes32 topic0 = ReportAccepted.selector;
        uint256 factorVersion = ctx.factorVersion;
        uint256 gramsPerMWh = ctx.gramsPerMWh;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, calldataload(add(r, 0x40))) // intervalEnd
            mstore(add(buf, 0x20), digest)
            mstore(add(buf, 0x40), calldataload(add(r, 0x60))) // readingsRoot
            mstore(add(buf, 0x60), and(calldataload(add(r, 0x80)), 0xffffffff)) // readingCount
            mstore(add(buf, 0x80), 0x180) // offset of signers
            mstore(add(buf, 0xa0), calldataload(add(r, 0xc0))) // socBps
            mstore(add(buf, 0xc0), calldataload(add(r, 0xe0))) // sohBps
            mstore(add(buf, 0xe0), and(calldataload(add(r, 0x100)), 0xffffffff)) // cycleCount
            mstore(add(buf, 0x100), and(calldataload(add(r, 0x120)), 0xffffffff)) // alarmBits
            mstore(add(buf, 0x120), factorVersion)
            mstore(add(buf, 0x140), gramsPerMWh)
            // signers: its length word and items, words 0..ns of the memory array.
            let ns := mload(signers)
            for { let j := 0 } iszero(gt(j, ns)) { j := add(j, 1) } {
                mstore(add(buf, add(0x180, shl(5, j))), mload(add(signers, shl(5, j))))
            }
            // participants: offset after the signers' length word and items; length word plus the
            // data rounded up to whole words (the records buffer is one spare word longer).
            let tail := add(0x1a0, shl(5, ns))
            mstore(add(buf, 0x160), tail)
            let words := add(1, shr(5, add(mload(records), 31)))
            let dst := add(buf, tail)
            for { let j := 0 } lt(j, words) { j := add(j, 1) } {
                mstore(add(dst, shl(5, j)), mload(add(records, shl(5, j))))
            }
            log3(buf, add(tail, shl(5, words)), topic0, calldataload(r), calldataload(add(r, 0x20)))
        }
    }

    function _bookParticipants(Report calldata r, StationState memory st, Context memory ctx)
        internal
        returns (Job memory job)
    {
        ParticipantDelta[] calldata ps = r.participants;
        uint256 n = ps.length;
        uint256 stationId = r.stationId;
        job.stationId = r.stationId;
        job.intervalStart = r.intervalStart;
        job.effBps = st.effBps;
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

    /// @dev sumDischarged * 10000 <= sumCharged * effBps + capacityWh * prevSoc * prevSoh / 10000.
    function _checkEnergyBalance(Report calldata r, StationState memory st, Job memory job) internal pure {
        uint256 storedWhBps = (uint256(st.capacityWh) * st.socBps * st.sohBps) / BPS;
        if (job.dischargedWh * BPS > job.chargedWh * st.effBps + storedWhBps) {
            revert StorageLedgerEnergyBalanceViolated(
                r.stationId, r.intervalStart, job.dischargedWh, job.chargedWh, storedWhBps / BPS
            );
        }
    }

    /// @dev Consumed grams of an account word of _consumed (consumed + 1 in the low 128 bits once written).
    function _consumedOf(uint256 raw) internal pure returns (uint96) {
        uint256 low = raw & MASK128;
        // low - 1 <= type(int56).max when low != 0.
        return low == 0 ? 0 : uint96(low - 1);
    }

    /// @dev The int56 avoidedGrams of an account word (bits [96,152)), sign-extended.
    function _avoided(uint256 a) internal pure returns (int64) {
        return int64(int56(uint56(a >> 96)));
    }

    function _unissued(int64 avoided, uint96 consumed) internal pure returns (uint256) {
        int256 open = int256(avoided) - int256(uint256(consumed));
        return open > 0 ? uint256(open) : 0;
    }

    function _consume(
        uint32 stationId,
        address participant,
        uint256 key,
        uint256 raw,
        uint96 consumedTotal,
        uint96 grams
    ) internal {
        _consumed[key] = (raw & ~MASK128) | (uint256(consumedTotal) + 1); // see _consumed
        emit AvoidedConsumed(stationId, participant, msg.sender, grams, consumedTotal);
    }

    /// @dev The curtailment bitmap slot and bit of an interval start (on the grid: checked by the
    /// caller through the report key, which exists only for on-grid starts).
    function _curtailmentBit(uint32 stationId, uint64 start, uint32 intervalSeconds)
        internal
        pure
        returns (uint256 slotKey, uint256 bit)
    {
        uint256 k = start / intervalSeconds;
        slotKey = (uint256(stationId) << 64) | (k >> 8);
        bit = uint256(1) << (k & 255);
    }

    /// @dev Marks (stationId, intervalStart) attested; it needs an accepted report and no earlier attestation.
    function _markAttested(uint32 stationId, uint64 intervalStart, StationState memory st) internal {
        if (!_onGrid(st, intervalStart)) revert StorageLedgerCurtailmentWithoutReport(stationId, intervalStart);
        (uint256 windowKey, uint256 keyBit) = _keyOf(stationId, intervalStart, st.intervalSeconds);
        if ((_reportKeys[windowKey] >> keyBit) & 1 == 0) {
            revert StorageLedgerCurtailmentWithoutReport(stationId, intervalStart);
        }
        (uint256 slotKey, uint256 bit) = _curtailmentBit(stationId, intervalStart, st.intervalSeconds);
        uint256 bits = _curtailmentAttested[slotKey];
        if (bits & bit != 0) revert StorageLedgerCurtailmentAlreadyAttested(stationId, intervalStart);
        _curtailmentAttested[slotKey] = bits | bit;
    }

    /// @dev Books one participant's attested curtailed energy: the cumulative bound, the curtailed
    /// total (upper half of _consumed) and the avoided grams given back at factor 0 (account word).
    function _bookCurtailed(
        uint32 stationId,
        uint64 intervalStart,
        CurtailedCharge calldata c,
        uint32 factorVersion,
        uint32 gramsPerMWh
    ) internal {
        uint256 key = _accountKey(stationId, c.participant);
        uint256 a = _accounts[key];
        uint256 raw = _consumed[key];
        // Both below 2^64 (uint64 argument, 128-bit field holding at most a 48-bit total): no overflow.
        uint256 curtailed = (raw >> 128) + c.curtailedWh;
        uint256 charged = a & MASK48;
        if (curtailed > charged) {
            revert StorageLedgerCurtailedExceedsCharged(stationId, c.participant, uint64(curtailed), uint64(charged));
        }
        // curtailedWh <= charged < 2^48 and gramsPerMWh < 2^32: the product fits easily.
        int64 grams = int64(uint64((uint256(c.curtailedWh) * gramsPerMWh) / 1_000_000));
        int256 avoided = int256(_avoided(a)) + grams;
        if (avoided > type(int56).max) revert StorageLedgerAvoidedOverflow(stationId, c.participant, avoided);
        _consumed[key] = (curtailed << 128) | (raw & MASK128);
        // The int56 at [96,152) replaced, every other field of the account word kept.
        _accounts[key] = (a & ~(uint256(type(uint56).max) << 96)) | (uint256(uint56(int56(avoided))) << 96);
        emit CurtailmentAttested(
            stationId, intervalStart, c.participant, msg.sender, c.curtailedWh, factorVersion, gramsPerMWh, grams
        );
    }

    /// @dev setBaseline's caller and station checks: the station exists, the caller operates it
    /// (or is the registry admin), the device is an active device of the station, and the
    /// participant's lease is active now.
    function _checkBaselineCaller(uint32 stationId, address participant, address device) internal view {
        if (stationId == 0 || stationId > _registry.stationCount()) revert StorageLedgerUnknownStation(stationId);
        if (_registry.stationOf(stationId).operator != msg.sender && !_registry.hasRole(0x00, msg.sender)) {
            revert StorageLedgerNotStationOperator(msg.sender, stationId);
        }
        uint32 deviceId = _registry.deviceOf(device);
        if (deviceId == 0) revert StorageLedgerDeviceNotOfStation(stationId, device);
        IRegistry.Device memory d = _registry.deviceById(deviceId);
        if (d.stationId != stationId || !d.active) revert StorageLedgerDeviceNotOfStation(stationId, device);
        if (!_registry.isLeaseActive(stationId, participant, uint64(block.timestamp))) {
            revert StorageLedgerNoActiveLease(stationId, participant, uint64(block.timestamp));
        }
    }

    // ------------------------------------------------------------------ external writes

    /// @inheritdoc IStorageLedger
    function setBaseline(
        uint32 stationId,
        address participant,
        address device,
        uint64 rawChargedWh,
        uint64 rawDischargedWh
    ) external {
        _checkBaselineCaller(stationId, participant, device);
        uint256 key = _accountKey(stationId, participant);
        uint256[2] storage b = _baselines[key];
        // At most one baseline per call: 2^32 calls are out of reach, no overflow.
        uint32 epoch = uint32(b[0] >> 160) + 1;
        uint256 a = _accounts[key];
        uint64 bookedCharged = uint64(a & MASK48);
        uint64 bookedDischarged = uint64((a >> 48) & MASK48);
        b[0] = uint256(uint160(device)) | (uint256(epoch) << 160);
        b[1] = uint256(rawChargedWh) | (uint256(rawDischargedWh) << 64) | (uint256(bookedCharged) << 128)
            | (uint256(bookedDischarged) << 192);
        emit BaselineSet(
            stationId, participant, device, epoch, rawChargedWh, rawDischargedWh, bookedCharged, bookedDischarged
        );
    }

    /// @inheritdoc IStorageLedger
    function submitReport(Report calldata r, bytes[] calldata signatures) external returns (bool accepted) {
        Context memory ctx = _loadContext();
        return _submit(r, signatures, ctx);
    }

    /// @inheritdoc IStorageLedger
    function submitReports(Report[] calldata reports, bytes[][] calldata signatures)
        external
        returns (bool[] memory accepted)
    {
        uint256 n = reports.length;
        if (signatures.length != n) revert StorageLedgerLengthMismatch(n, signatures.length);
        Context memory ctx = _loadContext();
        accepted = new bool[](n);
        for (uint256 i; i < n; ++i) {
            accepted[i] = _submit(reports[i], signatures[i], ctx);
        }
    }

    /// @inheritdoc IStorageLedger
    function consumeAvoided(uint32 stationId, address participant, uint96 grams) external {
        if (!_registry.hasRole(LEDGER_WRITER_ROLE, msg.sender)) {
            revert StorageLedgerUnauthorized(msg.sender, LEDGER_WRITER_ROLE);
        }
        uint256 key = _accountKey(stationId, participant);
        uint256 raw = _consumed[key];
        uint96 consumed = _consumedOf(raw);
        uint256 unissued = _unissued(_avoided(_accounts[key]), consumed);
        if (grams > unissued) revert StorageLedgerInsufficientAvoided(stationId, participant, unissued, grams);
        // consumed + grams <= avoidedGrams <= type(int56).max: fits uint96.
        unchecked {
            _consume(stationId, participant, key, raw, consumed + grams, grams);
        }
    }

    /// @inheritdoc IStorageLedger
    function attestCurtailment(uint32 stationId, uint64 intervalStart, CurtailedCharge[] calldata charges)
        external
    {
        if (!_registry.hasRole(GRID_OPERATOR_ROLE, msg.sender)) {
            revert StorageLedgerUnauthorized(msg.sender, GRID_OPERATOR_ROLE);
        }
        if (charges.length == 0) revert StorageLedgerCurtailmentEmpty(stationId, intervalStart, address(0));
        StationState memory st = _unpackStation(_stations[stationId]);
        _markAttested(stationId, intervalStart, st);
        // The factor version of the station's latest report (the one avoidedOf reports).
        uint32 gramsPerMWh = _factors.factorAt(st.factorVersion, _regions[stationId]);
        address previous;
        for (uint256 i; i < charges.length; ++i) {
            CurtailedCharge calldata c = charges[i];
            if (c.participant <= previous) revert StorageLedgerParticipantsNotAscending(previous, c.participant);
            if (c.curtailedWh == 0) revert StorageLedgerCurtailmentEmpty(stationId, intervalStart, c.participant);
            previous = c.participant;
            _bookCurtailed(stationId, intervalStart, c, st.factorVersion, gramsPerMWh);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStorageLedger
    function accountOf(uint32 stationId, address participant)
        external
        view
        returns (uint64 chargedWh, uint64 dischargedWh, uint64 balanceWh, uint64 lossesWh)
    {
        uint256 a = _accounts[_accountKey(stationId, participant)];
        (chargedWh, dischargedWh) = (uint48(a), uint48(a >> 48));
        // balance = floor(charged * effBps / 10000) - discharged with the station's (immutable)
        // efficiency, as booked (_bookOne keeps it >= 0); an account exists only for a cached station.
        uint64 stored = uint64((uint256(chargedWh) * _unpackStation(_stations[stationId]).effBps) / BPS);
        // balance + losses = charged - discharged (see IStorageLedger), so this cannot underflow.
        unchecked {
            balanceWh = stored - dischargedWh;
            lossesWh = chargedWh - stored;
        }
    }

    /// @inheritdoc IStorageLedger
    function avoidedOf(uint32 stationId, address participant)
        external
        view
        returns (int128 avoidedGrams, uint96 consumedGrams, uint256 unissuedGrams, uint32 factorVersion)
    {
        uint256 key = _accountKey(stationId, participant);
        int64 avoided = _avoided(_accounts[key]);
        consumedGrams = _consumedOf(_consumed[key]);
        return (avoided, consumedGrams, _unissued(avoided, consumedGrams), _unpackStation(_stations[stationId]).factorVersion);
    }

    /// @inheritdoc IStorageLedger
    function baselineOf(uint32 stationId, address participant) external view returns (Baseline memory b) {
        uint256[2] storage w = _baselines[_accountKey(stationId, participant)];
        (uint256 w0, uint256 w1) = (w[0], w[1]);
        b.device = address(uint160(w0));
        b.epoch = uint32(w0 >> 160);
        b.rawChargedWh = uint64(w1);
        b.rawDischargedWh = uint64(w1 >> 64);
        b.bookedChargedWh = uint64(w1 >> 128);
        b.bookedDischargedWh = uint64(w1 >> 192);
    }

    /// @inheritdoc IStorageLedger
    function curtailedOf(uint32 stationId, address participant) external view returns (uint64 curtailedWh) {
        return uint64(_consumed[_accountKey(stationId, participant)] >> 128); // <= charged < 2^48
    }

    /// @inheritdoc IStorageLedger
    function curtailmentAttested(uint32 stationId, uint64 intervalStart) external view returns (bool) {
        StationState memory st = _unpackStation(_stations[stationId]);
        if (!_onGrid(st, intervalStart)) return false;
        (uint256 slotKey, uint256 bit) = _curtailmentBit(stationId, intervalStart, st.intervalSeconds);
        return _curtailmentAttested[slotKey] & bit != 0;
    }

    /// @inheritdoc IStorageLedger
    function reportOf(uint32 stationId, uint64 intervalStart) external view returns (bool accepted, bytes16 digest) {
        StationState memory st = _unpackStation(_stations[stationId]);
        if (!_onGrid(st, intervalStart)) return (false, bytes16(0));
        (uint256 windowKey, uint256 bit) = _keyOf(stationId, intervalStart, st.intervalSeconds);
        uint256 keys = _reportKeys[windowKey];
        accepted = (keys >> bit) & 1 != 0;
        if (accepted && _isLatest(keys, bit)) digest = bytes16(uint128(keys >> 128));
    }

    /// @inheritdoc IStorageLedger
    function latestInterval(uint32 stationId)
        external
        view
        returns (uint64 intervalStart, uint64 intervalEnd, uint16 socBps, uint16 sohBps)
    {
        StationState memory st = _unpackStation(_stations[stationId]);
        if (st.lastEnd == 0) return (0, 0, 0, 0);
        return (st.lastEnd - st.intervalSeconds, st.lastEnd, st.socBps, st.sohBps);
    }

    /// @inheritdoc IStorageLedger
    function hashReport(Report calldata r) external view returns (bytes32) {
        return _hashReport(r);
    }

    /// @inheritdoc IStorageLedger
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IStorageLedger
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IStorageLedger
    function factors() external view returns (address) {
        return address(_factors);
    }
}
