// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IRegistry} from "../interfaces/IRegistry.sol";
import {RegistryRoles} from "../base/RegistryRoles.sol";
import {IEmissionFactors} from "../interfaces/IEmissionFactors.sol";
import {IStorageLedger} from "../interfaces/IStorageLedger.sol";
import {StationWord, StationWordLibrary} from "../types/StationWord.sol";

/// @title LedgerState
/// @notice StorageLedger's storage, per-transaction context and station cache, shared by its parts
/// (docs/contracts.md, "Storage layout").
abstract contract LedgerState is IStorageLedger, RegistryRoles {
    uint256 internal constant BPS = 10_000;
    /// @dev Bytes per participant record in ReportAccepted.participants.
    uint256 internal constant RECORD_BYTES = 48;
    uint256 internal constant MAX_TIME = type(uint40).max;
    uint256 internal constant MASK48 = 0xffffffffffff; // type(uint48).max, literal for assembly
    /// @dev Largest cumulative Wh counter an account can hold (2^48 - 1 Wh, about 281 TWh).
    uint256 internal constant MAX_COUNTER_WH = 0xffffffffffff; // type(uint48).max
    uint256 internal constant MASK128 = type(uint128).max;

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

    IRegistry internal immutable _registry;
    IEmissionFactors internal immutable _factors;

    /// @dev Layout in types/StationWord.sol.
    mapping(uint32 stationId => StationWord) internal _stations;
    mapping(uint32 stationId => bytes32) internal _regions;
    /// @dev Keyed by _accountKey; layout in types/AccountWord.sol (written by _refreshLease and _bookOne).
    mapping(uint256 accountKey => uint256) internal _accounts;
    /// @dev Keyed by _accountKey: consumedGrams + 1 in bits [0,128) (0 = slot never written,
    /// consumed 0) and the attested curtailed Wh in bits [128,256). The first report of an account
    /// writes 1 (_refreshLease), so consumeAvoided and attestCurtailment update an existing slot
    /// instead of creating one (about 17 000 gas less for a participant's first issuance).
    /// consumed <= max avoided <= type(int56).max and curtailed <= charged < 2^48: no overflow.
    mapping(uint256 accountKey => uint256) internal _consumed;
    /// @dev Curtailment attested, one bit per interval: interval k (start = k * intervalSeconds +
    /// gridOffset) of a station is bit k & 255 of slot (station << 64 | k >> 8).
    mapping(uint256 bitmapKey => uint256) internal _curtailmentAttested;
    /// @dev Report keys, one slot per window of 128 intervals of a station: key (station, k *
    /// intervalSeconds + gridOffset) is bit k & 127 of slot (station << 64 | k >> 7), set once its
    /// report is accepted; bits [128,256) hold bytes16(digest) of the window's latest accepted
    /// report. Every report rewrites its window's slot (a new slot once per 128 intervals) instead
    /// of opening one every second report.
    mapping(uint256 windowKey => uint256) internal _reportKeys;
    /// @dev Oracle signer => the registry oracle-set version its membership was last confirmed for.
    mapping(address signer => uint256) internal _oracleSeen;
    /// @dev _signerSetKey(oracle-set version, ascending signers) => 1 once every one of those signers
    /// was confirmed an oracle under that version: a report signed by a known signer set costs one
    /// storage read for membership instead of one per signer.
    mapping(bytes32 setKey => uint256) internal _oracleSetSeen;
    /// @dev Keyed by _accountKey, written only by setBaseline, never read on the report path.
    /// Word 0: device [0,160) | epoch u32 [160,192). Word 1: rawChargedWh u64 [0,64) |
    /// rawDischargedWh u64 [64,128) | bookedChargedWh u64 [128,192) | bookedDischargedWh u64 [192,256).
    mapping(uint256 accountKey => uint256[2]) internal _baselines;


    constructor(IRegistry registry_, IEmissionFactors factors_) {
        _registry = registry_;
        _factors = factors_;
    }

    function _roleRegistry() internal view override returns (IAccessControl) {
        return _registry;
    }

    function _accountKey(uint32 stationId, address participant) internal pure returns (uint256) {
        return (uint256(stationId) << 160) | uint256(uint160(participant));
    }

    function _loadContext() internal view returns (Context memory ctx) {
        (ctx.configDigest, ctx.threshold, ctx.oracleVersion, ctx.leaseEpoch) = _registry.submissionConfig();
    }

    /// @dev The station word, caching the registry parameters on first use.
    function _loadStation(uint32 stationId) internal returns (StationWord st) {
        st = _stations[stationId];
        if (st.intervalSeconds() == 0) st = _cacheStation(stationId);
    }

    /// @dev The station word's state part (lastEnd, socBps, sohBps, factorVersion: bits [0,104), see
    /// types/StationWord.sol) replaced in place; the cached registry parameters above it are kept.
    /// intervalEnd <= MAX_TIME (checked in _checkGrid) fits its 40 bits.
    function _storeStationState(Report calldata r, StationWord st, uint32 factorVersion) internal {
        _stations[r.stationId] = st.withState(r.intervalEnd, r.socBps, r.sohBps, factorVersion);
    }

    function _cacheStation(uint32 stationId) internal returns (StationWord st) {
        if (stationId == 0 || stationId > _registry.stationCount()) revert StorageLedgerUnknownStation(stationId);
        IRegistry.Station memory s = _registry.stationOf(stationId);
        // gridStart % intervalSeconds < intervalSeconds: fits uint32.
        st = StationWordLibrary.params(
            s.intervalSeconds, uint32(s.gridStart % s.intervalSeconds), s.roundTripEfficiencyBps, s.capacityWh
        );
        _stations[stationId] = st;
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
}
