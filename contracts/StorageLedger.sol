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
/// (read and written per report) and one terms slot (cached lease terms + consumed grams, read per
/// report, written when a lease changed or on consumeAvoided); per station one parameter/state slot
/// and one region slot; one slot per two consecutive report keys (bytes16 digests). The registry is
/// called once per transaction (oracle config + lease epoch); oracle membership and lease terms are
/// cached here and revalidated by version.
contract StorageLedger is EIP712, IStorageLedger {
    // ------------------------------------------------------------------ storage

    bytes32 private constant PARTICIPANT_DELTA_TYPEHASH = keccak256(
        "ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal,uint64 curtailedChargedWh)"
    );
    bytes32 private constant REPORT_TYPEHASH = keccak256(
        "Report(uint32 stationId,uint64 intervalStart,uint64 intervalEnd,bytes32 readingsRoot,uint32 readingCount,bytes32 configDigest,uint16 socBps,uint16 sohBps,uint32 cycleCount,uint32 alarmBits,ParticipantDelta[] participants)ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal,uint64 curtailedChargedWh)"
    );
    bytes32 private constant LEDGER_WRITER_ROLE = keccak256("LEDGER_WRITER_ROLE");
    uint256 private constant BPS = 10_000;
    int256 private constant WH_PER_MWH = 1_000_000;
    /// @dev Bytes per participant record in ReportAccepted.participants.
    uint256 private constant RECORD_BYTES = 56;
    uint256 private constant MAX_TIME = type(uint40).max;
    uint256 private constant MASK64 = type(uint64).max;
    uint256 private constant MASK128 = type(uint128).max;

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
    }

    IRegistry private immutable _registry;
    IEmissionFactors private immutable _factors;

    /// @dev Packed StationState, see _packStation.
    mapping(uint32 stationId => uint256) private _stations;
    mapping(uint32 stationId => bytes32) private _regions;
    /// @dev Keyed by _accountKey. chargedWh [0,64) | dischargedWh [64,128) | balanceWh [128,192) |
    /// avoidedGrams int64 [192,256). chargedWh/dischargedWh are the last cumulative counters.
    mapping(uint256 accountKey => uint256) private _accounts;
    /// @dev Keyed by _accountKey. leasedWh [0,64) | validFrom u40 [64,104) | validTo u40 [104,144) |
    /// lease epoch u32 [144,176) | consumedGrams u64 [176,240). Lease terms are the registry's, copied
    /// under the registry's lease epoch; times are clamped to 2^40 - 1, which changes no decision since
    /// every accepted interval ends below 2^40. consumed <= max avoided <= type(int64).max fits 64 bits.
    mapping(uint256 accountKey => uint256) private _terms;
    /// @dev Two report keys per slot: key (station, k * intervalSeconds + gridOffset) lives in slot
    /// (station << 64 | k >> 1), lane k & 1 (lane 0 = high 128 bits), as bytes16(digest).
    mapping(uint256 pairKey => uint256) private _reportPairs;
    /// @dev Oracle signer => the registry oracle-set version its membership was last confirmed for.
    mapping(address signer => uint256) private _oracleSeen;

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
    /// Assembly over calldata: a ParticipantDelta is four static words, so the array body is n * 128
    /// contiguous bytes and each struct hash is keccak256(typehash || those 128 bytes). Dirty upper bits
    /// cannot sneak through: they change the digest (no oracle signed it), and booking reads every field
    /// through the ABI decoder, which reverts on them. Uses memory past the free pointer as scratch only.
    function _hashParticipants(ParticipantDelta[] calldata ps) internal pure returns (bytes32 h) {
        bytes32 typehash = PARTICIPANT_DELTA_TYPEHASH;
        assembly ("memory-safe") {
            let n := ps.length
            let hashes := mload(0x40)
            let buf := add(hashes, shl(5, n))
            mstore(buf, typehash)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                calldatacopy(add(buf, 0x20), add(ps.offset, shl(7, i)), 0x80)
                mstore(add(hashes, shl(5, i)), keccak256(buf, 0xa0))
            }
            h := keccak256(hashes, shl(5, n))
        }
    }

    /// @dev The ten static Report fields are the first ten head words of `r` in calldata, in type
    /// order; hashStruct = keccak256(typehash || those 320 bytes || participants hash). Same dirty-bit
    /// argument as _hashParticipants (every field is read through the ABI decoder before booking).
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
    function _verifySigners(bytes32 digest, bytes[] calldata signatures, Context memory ctx)
        internal
        returns (address[] memory signers)
    {
        uint256 n = signatures.length;
        if (n < ctx.threshold) revert StorageLedgerQuorumNotReached(n, ctx.threshold);
        signers = new address[](n);
        address previous;
        for (uint256 i; i < n; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert StorageLedgerSignatureInvalid(i, uint8(err));
            if (signer <= previous) revert StorageLedgerSignersNotAscending(previous, signer);
            _requireOracle(signer, ctx.oracleVersion);
            signers[i] = signer;
            previous = signer;
        }
    }

    /// @dev Membership confirmed by the registry is remembered per oracle-set version: a signer costs
    /// one local read per transaction instead of a registry call.
    function _requireOracle(address signer, uint32 version) internal {
        if (_oracleSeen[signer] == version) return;
        if (_registry.oracleIndex(signer) == 0) revert StorageLedgerSignerNotOracle(signer);
        _oracleSeen[signer] = version;
    }

    /// @dev Load the station slot, caching the registry parameters on first use.
    function _loadStation(uint32 stationId) internal returns (StationState memory st) {
        st = _unpackStation(_stations[stationId]);
        if (st.intervalSeconds == 0) st = _cacheStation(stationId);
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

    /// @dev The terms word of an account with the registry's current lease (consumed grams kept).
    function _refreshTerms(Job memory job, address participant, uint256 key, uint256 terms)
        internal
        returns (uint256 fresh)
    {
        IRegistry.Lease memory l = _registry.leaseOf(job.stationId, participant);
        uint256 from = l.validFrom < MAX_TIME ? l.validFrom : MAX_TIME;
        uint256 to = l.validTo < MAX_TIME ? l.validTo : MAX_TIME;
        fresh = uint256(l.leasedWh) | (from << 64) | (to << 104) | (uint256(job.leaseEpoch) << 144)
            | (terms & (MASK64 << 176));
        // A cache refill, not a ledger state change: the registry's LeaseSet event is the record.
        _terms[key] = fresh;
    }

    /// @dev Active lease at intervalStart; returns leasedWh.
    function _requireLease(Job memory job, address participant, uint256 key) internal returns (uint64 leasedWh) {
        uint256 terms = _terms[key];
        if (uint32(terms >> 144) != job.leaseEpoch) terms = _refreshTerms(job, participant, key, terms);
        leasedWh = uint64(terms);
        uint64 start = job.intervalStart;
        if (leasedWh == 0 || start < uint40(terms >> 64) || start >= uint40(terms >> 104)) {
            revert StorageLedgerNoActiveLease(job.stationId, participant, start);
        }
    }

    /// @dev Book participant `i`: checks, account write, event record. Updates the job totals.
    function _bookParticipant(Job memory job, ParticipantDelta calldata p, uint256 i) internal {
        address who = p.participant;
        uint256 key = _accountKey(job.stationId, who);
        uint64 leasedWh = _requireLease(job, who, key);
        uint256 a = _accounts[key];
        uint64 chargedWh;
        uint64 dischargedWh;
        {
            uint64 prevCharged = uint64(a);
            uint64 prevDischarged = uint64(a >> 64);
            if (p.chargedWhTotal < prevCharged) {
                revert StorageLedgerCounterDecreased(job.stationId, who, prevCharged, p.chargedWhTotal);
            }
            if (p.dischargedWhTotal < prevDischarged) {
                revert StorageLedgerCounterDecreased(job.stationId, who, prevDischarged, p.dischargedWhTotal);
            }
            // Both counters were checked not to decrease just above.
            unchecked {
                chargedWh = p.chargedWhTotal - prevCharged;
                dischargedWh = p.dischargedWhTotal - prevDischarged;
            }
        }
        uint64 curtailed = p.curtailedChargedWh;
        if (curtailed > chargedWh) {
            revert StorageLedgerCurtailedExceedsCharged(job.stationId, who, curtailed, chargedWh);
        }
        uint256 balance;
        {
            // The efficiency applies to the lifetime charged counter, not interval by interval, so
            // rounding never accumulates: balance = floor(chargedTotal * eff) - dischargedTotal.
            // In uint256: chargedWhTotal * effBps < 2^78.
            uint256 stored = (uint256(p.chargedWhTotal) * job.effBps) / BPS;
            if (p.dischargedWhTotal > stored) {
                // The previous report left prevDischarged <= floor(prevCharged * eff) <= stored.
                revert StorageLedgerBalanceNegative(
                    job.stationId, who, uint64(stored - (p.dischargedWhTotal - dischargedWh)), dischargedWh
                );
            }
            // dischargedWhTotal <= stored, checked just above.
            unchecked {
                balance = stored - p.dischargedWhTotal;
            }
            if (balance > leasedWh) revert StorageLedgerLeaseExceeded(job.stationId, who, uint64(balance), leasedWh);
        }
        // Grid-charged energy carries the grid factor; curtailed renewables carry 0. Truncates toward 0.
        // Operands are < 2^64 and gramsPerMWh < 2^32, so the int256 product cannot overflow.
        int256 avoidedDelta = (int256(uint256(dischargedWh)) - int256(uint256(chargedWh - curtailed)))
            * int256(uint256(job.gramsPerMWh)) / WH_PER_MWH;
        {
            int256 avoided = int256(int64(uint64(a >> 192))) + avoidedDelta;
            if (avoided > type(int64).max || avoided < type(int64).min) {
                revert StorageLedgerAvoidedOverflow(job.stationId, who, avoided);
            }
            // balance <= leasedWh < 2^64; avoided is range checked above.
            _accounts[key] = uint256(p.chargedWhTotal) | (uint256(p.dischargedWhTotal) << 64) | (balance << 128)
                | (uint256(uint64(int64(avoided))) << 192);
        }
        // The account write is announced by the report's ReportAccepted, which carries this record.
        _writeRecord(job.records, i, who, chargedWh, dischargedWh, curtailed, avoidedDelta);
        // Sums of at most 2^64 values below 2^64 each: no overflow in uint256.
        unchecked {
            job.chargedWh += chargedWh;
            job.dischargedWh += dischargedWh;
        }
    }

    /// @dev Record i of ReportAccepted.participants (layout in IStorageLedger). Each mstore writes a
    /// full word: the fields are written left to right so every write only zeroes bytes a later write
    /// fills (or the zeroed tail past the last record, allocated by _newRecords).
    function _writeRecord(
        bytes memory records,
        uint256 i,
        address who,
        uint64 chargedWh,
        uint64 dischargedWh,
        uint64 curtailed,
        int256 avoidedDelta
    ) internal pure {
        assembly ("memory-safe") {
            let at := add(add(records, 0x20), mul(i, 56))
            mstore(at, shl(96, who))
            mstore(add(at, 20), shl(192, chargedWh))
            mstore(add(at, 28), shl(192, dischargedWh))
            mstore(add(at, 36), shl(192, curtailed))
            // |avoidedDelta| < 2^64 * 2^32 / 10^6 < 2^77: its low 96 bits are its two's complement.
            mstore(add(at, 44), shl(160, avoidedDelta))
        }
    }

    /// @dev Zeroed buffer for n records plus a spare word for the last record's trailing mstore.
    function _newRecords(uint256 n) internal pure returns (bytes memory records) {
        records = new bytes(n * RECORD_BYTES + 32);
        assembly ("memory-safe") {
            mstore(records, mul(n, 56))
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

    /// @dev The report-key slot and lane of an on-grid interval start.
    function _pairOf(uint32 stationId, uint64 start, uint32 intervalSeconds)
        internal
        pure
        returns (uint256 pairKey, uint256 shift)
    {
        uint256 k = start / intervalSeconds; // start = k * intervalSeconds + gridOffset, gridOffset < intervalSeconds
        pairKey = (uint256(stationId) << 64) | (k >> 1);
        shift = (k & 1) == 0 ? 128 : 0;
    }

    /// @dev The whole pipeline for one report; false for a duplicate no-op.
    function _submit(Report calldata r, bytes[] calldata signatures, Context memory ctx) internal returns (bool) {
        StationState memory st = _loadStation(r.stationId);
        _checkGrid(r, st);
        bytes32 digest = _hashReport(r);
        (uint256 pairKey, uint256 shift) = _pairOf(r.stationId, r.intervalStart, st.intervalSeconds);
        uint256 pair = _reportPairs[pairKey];
        {
            uint256 stored = (pair >> shift) & MASK128;
            if (stored != 0) {
                if (bytes16(uint128(stored)) == bytes16(digest)) {
                    emit ReportDuplicate(r.stationId, r.intervalStart, digest);
                    return false;
                }
                revert StorageLedgerReportConflict(r.stationId, r.intervalStart, bytes16(uint128(stored)), digest);
            }
        }
        if (r.configDigest != ctx.configDigest) {
            revert StorageLedgerConfigDigestMismatch(r.stationId, r.intervalStart, ctx.configDigest, r.configDigest);
        }
        address[] memory signers = _verifySigners(digest, signatures, ctx);
        _checkContinuity(r, st);
        _factorOf(r.stationId, ctx);

        Job memory job = _bookParticipants(r, st, ctx);
        _checkEnergyBalance(r, st, job);

        st.lastEnd = uint40(r.intervalEnd); // <= MAX_TIME, checked in _checkGrid
        st.socBps = r.socBps;
        st.sohBps = r.sohBps;
        st.factorVersion = ctx.factorVersion;
        _stations[r.stationId] = _packStation(st);
        // A zero bytes16 digest would read as "no report": probability 2^-128, accepted.
        _reportPairs[pairKey] = pair | (uint256(uint128(bytes16(digest))) << shift);
        _announce(r, digest, signers, ctx, job.records);
        return true;
    }

    function _announce(
        Report calldata r,
        bytes32 digest,
        address[] memory signers,
        Context memory ctx,
        bytes memory records
    ) internal {
        emit ReportAccepted(
            r.stationId,
            r.intervalStart,
            r.intervalEnd,
            digest,
            r.readingsRoot,
            r.readingCount,
            signers,
            r.socBps,
            r.sohBps,
            r.cycleCount,
            r.alarmBits,
            ctx.factorVersion,
            ctx.gramsPerMWh,
            records
        );
    }

    function _bookParticipants(Report calldata r, StationState memory st, Context memory ctx)
        internal
        returns (Job memory job)
    {
        ParticipantDelta[] calldata ps = r.participants;
        uint256 n = ps.length;
        job.stationId = r.stationId;
        job.intervalStart = r.intervalStart;
        job.effBps = st.effBps;
        job.gramsPerMWh = ctx.gramsPerMWh;
        job.leaseEpoch = ctx.leaseEpoch;
        job.records = _newRecords(n);
        address previous;
        for (uint256 i; i < n; ++i) {
            ParticipantDelta calldata p = ps[i];
            address who = p.participant;
            if (who <= previous) revert StorageLedgerParticipantsNotAscending(previous, who);
            previous = who;
            _bookParticipant(job, p, i);
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

    function _unissued(int64 avoided, uint96 consumed) internal pure returns (uint256) {
        int256 open = int256(avoided) - int256(uint256(consumed));
        return open > 0 ? uint256(open) : 0;
    }

    function _consume(uint32 stationId, address participant, uint256 key, uint256 terms, uint96 consumedTotal, uint96 grams)
        internal
    {
        _terms[key] = (terms & ~(MASK64 << 176)) | (uint256(consumedTotal) << 176);
        emit AvoidedConsumed(stationId, participant, msg.sender, grams, consumedTotal);
    }

    // ------------------------------------------------------------------ external writes

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
        uint256 terms = _terms[key];
        uint96 consumed = uint64(terms >> 176);
        uint256 unissued = _unissued(int64(uint64(_accounts[key] >> 192)), consumed);
        if (grams > unissued) revert StorageLedgerInsufficientAvoided(stationId, participant, unissued, grams);
        // consumed + grams <= avoidedGrams <= type(int64).max: fits the 64-bit field and uint96.
        unchecked {
            _consume(stationId, participant, key, terms, consumed + grams, grams);
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
        (chargedWh, dischargedWh, balanceWh) = (uint64(a), uint64(a >> 64), uint64(a >> 128));
        // balance + losses = charged - discharged (see IStorageLedger), so this cannot underflow.
        unchecked {
            lossesWh = chargedWh - dischargedWh - balanceWh;
        }
    }

    /// @inheritdoc IStorageLedger
    function avoidedOf(uint32 stationId, address participant)
        external
        view
        returns (int128 avoidedGrams, uint96 consumedGrams, uint256 unissuedGrams, uint32 factorVersion)
    {
        uint256 key = _accountKey(stationId, participant);
        int64 avoided = int64(uint64(_accounts[key] >> 192));
        consumedGrams = uint64(_terms[key] >> 176);
        return (avoided, consumedGrams, _unissued(avoided, consumedGrams), _unpackStation(_stations[stationId]).factorVersion);
    }

    /// @inheritdoc IStorageLedger
    function reportOf(uint32 stationId, uint64 intervalStart) external view returns (bytes16 digest) {
        StationState memory st = _unpackStation(_stations[stationId]);
        if (st.intervalSeconds == 0 || intervalStart % st.intervalSeconds != st.gridOffset) return bytes16(0);
        (uint256 pairKey, uint256 shift) = _pairOf(stationId, intervalStart, st.intervalSeconds);
        return bytes16(uint128(_reportPairs[pairKey] >> shift));
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
