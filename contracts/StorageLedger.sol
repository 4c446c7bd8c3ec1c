// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IEmissionFactors} from "./interfaces/IEmissionFactors.sol";
import {ReportHash} from "./libraries/ReportHash.sol";
import {ReportLog} from "./libraries/ReportLog.sol";
import {StationWord} from "./types/StationWord.sol";
import {AccountWord} from "./types/AccountWord.sol";
import {IStorageLedger} from "./interfaces/IStorageLedger.sol";
import {LedgerState} from "./ledger/LedgerState.sol";
import {Roles} from "./libraries/Roles.sol";
import {SignerChecks} from "./ledger/SignerChecks.sol";
import {ReportBooking} from "./ledger/ReportBooking.sol";
import {CurtailmentBook} from "./ledger/CurtailmentBook.sol";

/// @title StorageLedger
/// @notice Books oracle-signed interval reports into per-participant energy and avoided-emissions
/// accounts. Errors, events, the report types and the accounting rules are documented in IStorageLedger.
/// Parts: ledger/LedgerState (storage, station cache), ledger/SignerChecks (oracle quorum),
/// ledger/ReportBooking (accounts), ledger/CurtailmentBook (attestations); types/ and libraries/
/// hold the packed words, the EIP-712 hashing, calldata ECDSA and the ReportAccepted log.
/// @dev Gas layout (docs/contracts.md, "Storage layout"): per (station, participant) one account slot
/// (counters, avoided grams and the cached lease terms; read and written per report) and one consumed
/// slot (written on consumeAvoided only); per station one parameter/state slot and one region slot;
/// one slot per 128 consecutive report keys (acceptance bits + the latest bytes16 digest). The
/// registry is called once per transaction (oracle config + lease epoch); oracle membership and lease terms are cached here and
/// revalidated by version.
contract StorageLedger is EIP712, SignerChecks, ReportBooking, CurtailmentBook {
    constructor(IRegistry registry_, IEmissionFactors factors_)
        EIP712("ESSLedger", "1")
        LedgerState(registry_, factors_)
    {}

    // ------------------------------------------------------------------ internal

    function _hashReport(Report calldata r) internal view returns (bytes32) {
        return _hashTypedDataV4(ReportHash.structHash(r));
    }

    /// @dev Grid check: intervalStart on the station grid, intervalEnd one interval later, below 2^40.
    function _checkGrid(Report calldata r, StationWord st) internal pure {
        uint64 start = r.intervalStart;
        if (
            start % st.intervalSeconds() != st.gridOffset() || r.intervalEnd != uint256(start) + st.intervalSeconds()
                || r.intervalEnd > MAX_TIME
        ) revert StorageLedgerIntervalOffGrid(r.stationId, start, r.intervalEnd);
    }

    /// @dev Continuity and state checks.
    function _checkContinuity(Report calldata r, StationWord st) internal {
        uint64 start = r.intervalStart;
        uint64 previousEnd = st.lastEnd();
        if (previousEnd != 0) {
            if (start < previousEnd) revert StorageLedgerIntervalOverlap(r.stationId, start, previousEnd);
            if (start > previousEnd) emit IntervalGap(r.stationId, previousEnd, start);
        }
        if (r.socBps > BPS || r.sohBps > BPS) revert StorageLedgerStateOutOfRange(r.stationId, r.socBps, r.sohBps);
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
        StationWord st = _loadStation(r.stationId);
        _checkGrid(r, st);
        bytes32 digest = _hashReport(r);
        (uint256 windowKey, uint256 bit) = _keyOf(r.stationId, r.intervalStart, st.intervalSeconds());
        uint256 keys = _reportKeys[windowKey];
        if ((keys >> bit) & 1 != 0) return _resubmitted(r, signatures, ctx, digest, keys, bit);
        _checkConfig(r, ctx);
        address[] memory signers = _verifySigners(digest, signatures, ctx);
        _checkContinuity(r, st);
        _factorOf(r.stationId, ctx);

        Job memory job = _bookParticipants(r, st, ctx);
        _checkEnergyBalance(r, st, job);

        _storeStationState(r, st, ctx.factorVersion);
        // This key's bit set, the window's digest lane replaced (keys only ascend per station).
        _reportKeys[windowKey] = (keys & MASK128) | (uint256(1) << bit) | (uint256(uint128(bytes16(digest))) << 128);
        ReportLog.announce(r, digest, signers, ctx.factorVersion, ctx.gramsPerMWh, job.records);
        return true;
    }

    /// @dev Consumed grams of an account word of _consumed (consumed + 1 in the low 128 bits once written).
    function _consumedOf(uint256 raw) internal pure returns (uint96) {
        uint256 low = raw & MASK128;
        // low - 1 <= type(int56).max when low != 0.
        return low == 0 ? 0 : uint96(low - 1);
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

    /// @dev setBaseline's caller and station checks: the station exists, the caller operates it
    /// (or is the registry admin), the device is an active device of the station, and the
    /// participant's lease is active now.
    function _checkBaselineCaller(uint32 stationId, address participant, address device) internal view {
        if (stationId == 0 || stationId > _registry.stationCount()) revert StorageLedgerUnknownStation(stationId);
        if (_registry.stationOf(stationId).operator != msg.sender && !_hasRole(Roles.DEFAULT_ADMIN_ROLE, msg.sender)) {
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
        AccountWord a = AccountWord.wrap(_accounts[key]);
        (uint64 bookedCharged, uint64 bookedDischarged) = (a.chargedWh(), a.dischargedWh());
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
        _checkRegistryRole(Roles.LEDGER_WRITER_ROLE);
        uint256 key = _accountKey(stationId, participant);
        uint256 raw = _consumed[key];
        uint96 consumed = _consumedOf(raw);
        uint256 unissued = _unissued(AccountWord.wrap(_accounts[key]).avoidedGrams(), consumed);
        if (grams > unissued) revert StorageLedgerInsufficientAvoided(stationId, participant, unissued, grams);
        // consumed + grams <= avoidedGrams <= type(int56).max: fits uint96.
        unchecked {
            _consume(stationId, participant, key, raw, consumed + grams, grams);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStorageLedger
    function accountOf(uint32 stationId, address participant)
        external
        view
        returns (uint64 chargedWh, uint64 dischargedWh, uint64 balanceWh, uint64 lossesWh)
    {
        AccountWord a = AccountWord.wrap(_accounts[_accountKey(stationId, participant)]);
        (chargedWh, dischargedWh) = (a.chargedWh(), a.dischargedWh());
        // balance = floor(charged * effBps / 10000) - discharged with the station's (immutable)
        // efficiency, as booked (_bookOne keeps it >= 0); an account exists only for a cached station.
        uint64 stored = uint64((uint256(chargedWh) * _stations[stationId].effBps()) / BPS);
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
        int64 avoided = AccountWord.wrap(_accounts[key]).avoidedGrams();
        consumedGrams = _consumedOf(_consumed[key]);
        return (avoided, consumedGrams, _unissued(avoided, consumedGrams), _stations[stationId].factorVersion());
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
    function reportOf(uint32 stationId, uint64 intervalStart) external view returns (bool accepted, bytes16 digest) {
        StationWord st = _stations[stationId];
        if (!st.onGrid(intervalStart)) return (false, bytes16(0));
        (uint256 windowKey, uint256 bit) = _keyOf(stationId, intervalStart, st.intervalSeconds());
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
        StationWord st = _stations[stationId];
        if (st.lastEnd() == 0) return (0, 0, 0, 0);
        return (st.lastEnd() - st.intervalSeconds(), st.lastEnd(), st.socBps(), st.sohBps());
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
