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
/// @dev Gas layout: one slot per (station, participant) holds counters, balance and avoided grams; one
/// slot per station holds the cached registry parameters and the latest interval; one fresh slot per
/// report key. Station parameters are immutable in the registry, so they are cached on first use.
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
    /// @dev Distinct oracle signers remembered per call of submitReport(s).
    uint256 private constant ORACLE_CACHE = 16;

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

    /// @dev Energy and avoided-emissions account of (station, participant): one slot.
    /// chargedWh/dischargedWh are the last cumulative counters (deltas start from 0).
    struct Account {
        uint64 chargedWh;
        uint64 dischargedWh;
        uint64 balanceWh;
        int64 avoidedGrams;
    }

    /// @dev Values read once per transaction.
    struct Context {
        bytes32 configDigest;
        uint8 threshold;
        uint256 knownCount;
        address[ORACLE_CACHE] knownOracles;
        bytes32 factorRegion;
        uint32 factorVersion;
        uint32 gramsPerMWh;
    }

    /// @dev Station efficiency and emission factor applied to one report.
    struct Rates {
        uint16 effBps;
        uint32 factorVersion;
        uint32 gramsPerMWh;
    }

    /// @dev Running totals of one report.
    struct Totals {
        uint256 chargedWh;
        uint256 dischargedWh;
    }

    IRegistry private immutable _registry;
    IEmissionFactors private immutable _factors;

    /// @dev Packed StationState, see _packStation.
    mapping(uint32 stationId => uint256) private _stations;
    mapping(uint32 stationId => bytes32) private _regions;
    /// @dev Packed Account, see _packAccount.
    mapping(uint32 stationId => mapping(address participant => uint256)) private _accounts;
    mapping(uint32 stationId => mapping(address participant => uint96)) private _consumed;
    /// @dev bytes24(digest) << 64 | blockNumber.
    mapping(uint32 stationId => mapping(uint64 intervalStart => uint256)) private _reports;

    constructor(IRegistry registry_, IEmissionFactors factors_) EIP712("ESSLedger", "1") {
        _registry = registry_;
        _factors = factors_;
    }

    // ------------------------------------------------------------------ internal

    // Hand packing: one SLOAD/SSTORE per slot instead of one per struct member (solc without via-IR
    // reads and writes packed struct members one by one).

    /// @dev Account word: chargedWh [0,64) | dischargedWh [64,128) | balanceWh [128,192) | avoidedGrams [192,256).
    function _packAccount(Account memory a) internal pure returns (uint256) {
        return uint256(a.chargedWh) | (uint256(a.dischargedWh) << 64) | (uint256(a.balanceWh) << 128)
            | (uint256(uint64(a.avoidedGrams)) << 192);
    }

    function _unpackAccount(uint256 w) internal pure returns (Account memory a) {
        a.chargedWh = uint64(w);
        a.dischargedWh = uint64(w >> 64);
        a.balanceWh = uint64(w >> 128);
        a.avoidedGrams = int64(uint64(w >> 192));
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
        (ctx.configDigest, ctx.threshold,) = _registry.oracleConfig();
    }

    function _hashParticipants(ParticipantDelta[] calldata ps) internal pure returns (bytes32) {
        uint256 n = ps.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            ParticipantDelta calldata p = ps[i];
            hashes[i] = keccak256(
                abi.encode(
                    PARTICIPANT_DELTA_TYPEHASH, p.participant, p.chargedWhTotal, p.dischargedWhTotal, p.curtailedChargedWh
                )
            );
        }
        return keccak256(abi.encodePacked(hashes));
    }

    function _hashReport(Report calldata r) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            bytes.concat(
                abi.encode(REPORT_TYPEHASH, r.stationId, r.intervalStart, r.intervalEnd, r.readingsRoot, r.readingCount),
                abi.encode(
                    r.configDigest, r.socBps, r.sohBps, r.cycleCount, r.alarmBits, _hashParticipants(r.participants)
                )
            )
        );
        return _hashTypedDataV4(structHash);
    }

    /// @dev Recover the signers, require them ascending, registered and at least `threshold` many.
    function _verifySigners(bytes32 digest, bytes[] calldata signatures, Context memory ctx)
        internal
        view
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
            if (!_isKnownOracle(signer, ctx)) revert StorageLedgerSignerNotOracle(signer);
            signers[i] = signer;
            previous = signer;
        }
    }

    /// @dev Registry lookup, remembered for the rest of the call.
    function _isKnownOracle(address signer, Context memory ctx) internal view returns (bool) {
        uint256 known = ctx.knownCount;
        for (uint256 i; i < known; ++i) {
            if (ctx.knownOracles[i] == signer) return true;
        }
        if (_registry.oracleIndex(signer) == 0) return false;
        if (known < ORACLE_CACHE) {
            ctx.knownOracles[known] = signer;
            // known < ORACLE_CACHE = 16, cannot overflow.
            unchecked {
                ctx.knownCount = known + 1;
            }
        }
        return true;
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

    /// @dev Efficiency and emission factor of the station; the factor registry is read once per
    /// region per call.
    function _ratesOf(uint32 stationId, StationState memory st, Context memory ctx)
        internal
        view
        returns (Rates memory rates)
    {
        bytes32 region = _regions[stationId];
        if (region != ctx.factorRegion) {
            (ctx.factorVersion, ctx.gramsPerMWh) = _factors.currentFactor(region);
            ctx.factorRegion = region;
        }
        rates.effBps = st.effBps;
        rates.factorVersion = ctx.factorVersion;
        rates.gramsPerMWh = ctx.gramsPerMWh;
    }

    /// @dev Book one participant's interval; returns its interval charged and discharged Wh.
    function _bookParticipant(Report calldata r, ParticipantDelta calldata p, Rates memory rates)
        internal
        returns (uint64 chargedWh, uint64 dischargedWh)
    {
        IRegistry.Lease memory lease = _registry.leaseOf(r.stationId, p.participant);
        if (lease.leasedWh == 0 || r.intervalStart < lease.validFrom || r.intervalStart >= lease.validTo) {
            revert StorageLedgerNoActiveLease(r.stationId, p.participant, r.intervalStart);
        }
        Account memory a = _unpackAccount(_accounts[r.stationId][p.participant]);
        if (p.chargedWhTotal < a.chargedWh) {
            revert StorageLedgerCounterDecreased(r.stationId, p.participant, a.chargedWh, p.chargedWhTotal);
        }
        if (p.dischargedWhTotal < a.dischargedWh) {
            revert StorageLedgerCounterDecreased(r.stationId, p.participant, a.dischargedWh, p.dischargedWhTotal);
        }
        // Both counters were checked not to decrease just above.
        unchecked {
            chargedWh = p.chargedWhTotal - a.chargedWh;
            dischargedWh = p.dischargedWhTotal - a.dischargedWh;
        }
        if (p.curtailedChargedWh > chargedWh) {
            revert StorageLedgerCurtailedExceedsCharged(r.stationId, p.participant, p.curtailedChargedWh, chargedWh);
        }
        {
            // In uint256: chargedWh * effBps < 2^78; the result is bounded by the uint64 lease below.
            uint256 balance = uint256(a.balanceWh) + (uint256(chargedWh) * rates.effBps) / BPS;
            if (dischargedWh > balance) {
                revert StorageLedgerBalanceNegative(r.stationId, p.participant, uint64(balance), dischargedWh);
            }
            // dischargedWh <= balance, checked just above.
            unchecked {
                balance -= dischargedWh;
            }
            if (balance > lease.leasedWh) {
                revert StorageLedgerLeaseExceeded(r.stationId, p.participant, uint64(balance), lease.leasedWh);
            }
            a.balanceWh = uint64(balance); // <= leasedWh (uint64), checked above
        }
        // Grid-charged energy carries the grid factor; curtailed renewables carry 0. Truncates toward 0.
        // Operands are < 2^64 and gramsPerMWh < 2^32, so the int256 product cannot overflow.
        int256 avoidedDelta = (
            int256(uint256(dischargedWh)) - int256(uint256(chargedWh - p.curtailedChargedWh))
        ) * int256(uint256(rates.gramsPerMWh)) / WH_PER_MWH;
        int256 avoided = int256(a.avoidedGrams) + avoidedDelta;
        if (avoided > type(int64).max || avoided < type(int64).min) {
            revert StorageLedgerAvoidedOverflow(r.stationId, p.participant, avoided);
        }
        a.chargedWh = p.chargedWhTotal;
        a.dischargedWh = p.dischargedWhTotal;
        a.avoidedGrams = int64(avoided); // range checked above
        _writeAccount(r, p, a, chargedWh, dischargedWh, avoidedDelta, rates.factorVersion);
    }

    function _writeAccount(
        Report calldata r,
        ParticipantDelta calldata p,
        Account memory a,
        uint64 chargedWh,
        uint64 dischargedWh,
        int256 avoidedDelta,
        uint32 factorVersion
    ) internal {
        _accounts[r.stationId][p.participant] = _packAccount(a);
        emit ParticipantIntervalRecorded(
            r.stationId,
            p.participant,
            r.intervalStart,
            chargedWh,
            dischargedWh,
            p.curtailedChargedWh,
            avoidedDelta,
            factorVersion
        );
    }

    /// @dev Write the station slot and the report key, then announce the report.
    function _recordReport(
        Report calldata r,
        bytes32 digest,
        StationState memory st,
        uint32 gramsPerMWh,
        address[] memory signers
    ) internal {
        _stations[r.stationId] = _packStation(st);
        emit StationStateRecorded(
            r.stationId, r.intervalStart, r.socBps, r.sohBps, r.cycleCount, r.alarmBits, st.factorVersion, gramsPerMWh
        );
        _reports[r.stationId][r.intervalStart] = (uint256(digest) & ~uint256(type(uint64).max)) | block.number;
        emit ReportAccepted(
            r.stationId, r.intervalStart, r.intervalEnd, digest, r.readingsRoot, r.readingCount, signers
        );
    }

    function _consume(uint32 stationId, address participant, uint96 consumedTotal, uint96 grams) internal {
        _consumed[stationId][participant] = consumedTotal;
        emit AvoidedConsumed(stationId, participant, msg.sender, grams, consumedTotal);
    }

    /// @dev Grid, continuity and state checks on the station slot; updates `st` in memory.
    function _checkInterval(Report calldata r, StationState memory st) internal {
        uint32 stationId = r.stationId;
        uint64 start = r.intervalStart;
        if (start % st.intervalSeconds != st.gridOffset || r.intervalEnd != uint256(start) + st.intervalSeconds) {
            revert StorageLedgerIntervalOffGrid(stationId, start, r.intervalEnd);
        }
        if (r.intervalEnd > type(uint40).max) revert StorageLedgerIntervalOffGrid(stationId, start, r.intervalEnd);
        uint64 previousEnd = st.lastEnd;
        if (previousEnd != 0) {
            if (start < previousEnd) revert StorageLedgerIntervalOverlap(stationId, start, previousEnd);
            if (start > previousEnd) emit IntervalGap(stationId, previousEnd, start);
        }
        if (r.socBps > BPS || r.sohBps > BPS) revert StorageLedgerStateOutOfRange(stationId, r.socBps, r.sohBps);
    }

    /// @dev The whole pipeline for one report; false for a duplicate no-op.
    function _submit(Report calldata r, bytes[] calldata signatures, Context memory ctx) internal returns (bool) {
        bytes32 digest = _hashReport(r);
        uint256 stored = _reports[r.stationId][r.intervalStart];
        if (stored != 0) {
            if (bytes24(bytes32(stored)) == bytes24(digest)) {
                emit ReportDuplicate(r.stationId, r.intervalStart, digest);
                return false;
            }
            revert StorageLedgerReportConflict(r.stationId, r.intervalStart, bytes24(bytes32(stored)), digest);
        }
        if (r.configDigest != ctx.configDigest) {
            revert StorageLedgerConfigDigestMismatch(r.stationId, r.intervalStart, ctx.configDigest, r.configDigest);
        }
        address[] memory signers = _verifySigners(digest, signatures, ctx);

        StationState memory st = _loadStation(r.stationId);
        _checkInterval(r, st);
        Rates memory rates = _ratesOf(r.stationId, st, ctx);

        Totals memory t = _bookParticipants(r, rates);
        _checkEnergyBalance(r, st, t);

        st.lastEnd = uint40(r.intervalEnd); // <= type(uint40).max, checked in _checkInterval
        st.socBps = r.socBps;
        st.sohBps = r.sohBps;
        st.factorVersion = rates.factorVersion;
        _recordReport(r, digest, st, rates.gramsPerMWh, signers);
        return true;
    }

    function _bookParticipants(Report calldata r, Rates memory rates)
        internal
        returns (Totals memory t)
    {
        uint256 n = r.participants.length;
        address previous;
        for (uint256 i; i < n; ++i) {
            ParticipantDelta calldata p = r.participants[i];
            if (p.participant <= previous) revert StorageLedgerParticipantsNotAscending(previous, p.participant);
            previous = p.participant;
            (uint64 c, uint64 d) = _bookParticipant(r, p, rates);
            t.chargedWh += c;
            t.dischargedWh += d;
        }
    }

    /// @dev sumDischarged * 10000 <= sumCharged * effBps + capacityWh * prevSoc * prevSoh / 10000.
    function _checkEnergyBalance(Report calldata r, StationState memory st, Totals memory t) internal pure {
        uint256 storedWhBps = (uint256(st.capacityWh) * st.socBps * st.sohBps) / BPS;
        if (t.dischargedWh * BPS > t.chargedWh * st.effBps + storedWhBps) {
            revert StorageLedgerEnergyBalanceViolated(
                r.stationId, r.intervalStart, t.dischargedWh, t.chargedWh, storedWhBps / BPS
            );
        }
    }

    function _unissued(int64 avoided, uint96 consumed) internal pure returns (uint256) {
        int256 open = int256(avoided) - int256(uint256(consumed));
        return open > 0 ? uint256(open) : 0;
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
        uint96 consumed = _consumed[stationId][participant];
        uint256 unissued = _unissued(_unpackAccount(_accounts[stationId][participant]).avoidedGrams, consumed);
        if (grams > unissued) revert StorageLedgerInsufficientAvoided(stationId, participant, unissued, grams);
        // consumed + grams <= avoidedGrams <= type(int64).max < type(uint96).max.
        unchecked {
            _consume(stationId, participant, consumed + grams, grams);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStorageLedger
    function accountOf(uint32 stationId, address participant)
        external
        view
        returns (uint64 chargedWh, uint64 dischargedWh, uint64 balanceWh, uint64 lossesWh)
    {
        Account memory a = _unpackAccount(_accounts[stationId][participant]);
        // balance + losses = charged - discharged (see IStorageLedger), so this cannot underflow.
        unchecked {
            lossesWh = a.chargedWh - a.dischargedWh - a.balanceWh;
        }
        return (a.chargedWh, a.dischargedWh, a.balanceWh, lossesWh);
    }

    /// @inheritdoc IStorageLedger
    function avoidedOf(uint32 stationId, address participant)
        external
        view
        returns (int128 avoidedGrams, uint96 consumedGrams, uint256 unissuedGrams, uint32 factorVersion)
    {
        int64 avoided = _unpackAccount(_accounts[stationId][participant]).avoidedGrams;
        consumedGrams = _consumed[stationId][participant];
        return (avoided, consumedGrams, _unissued(avoided, consumedGrams), _unpackStation(_stations[stationId]).factorVersion);
    }

    /// @inheritdoc IStorageLedger
    function reportOf(uint32 stationId, uint64 intervalStart)
        external
        view
        returns (bytes24 digest, uint64 blockNumber)
    {
        uint256 stored = _reports[stationId][intervalStart];
        return (bytes24(bytes32(stored)), uint64(stored));
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
