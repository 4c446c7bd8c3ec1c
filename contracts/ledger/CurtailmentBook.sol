// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {StationWord} from "../types/StationWord.sol";
import {AccountWord} from "../types/AccountWord.sol";
import {IStorageLedger} from "../interfaces/IStorageLedger.sol";
import {LedgerState} from "./LedgerState.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title CurtailmentBook
/// @notice The grid operator's curtailment attestations (docs/contracts.md, "Curtailment attestation").
abstract contract CurtailmentBook is LedgerState {
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
    function _markAttested(uint32 stationId, uint64 intervalStart, StationWord st) internal {
        if (!st.onGrid(intervalStart)) revert StorageLedgerCurtailmentWithoutReport(stationId, intervalStart);
        (uint256 windowKey, uint256 keyBit) = _keyOf(stationId, intervalStart, st.intervalSeconds());
        if ((_reportKeys[windowKey] >> keyBit) & 1 == 0) {
            revert StorageLedgerCurtailmentWithoutReport(stationId, intervalStart);
        }
        (uint256 slotKey, uint256 bit) = _curtailmentBit(stationId, intervalStart, st.intervalSeconds());
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
        AccountWord a = AccountWord.wrap(_accounts[key]);
        uint256 raw = _consumed[key];
        // Both below 2^64 (uint64 argument, 128-bit field holding at most a 48-bit total): no overflow.
        uint256 curtailed = (raw >> 128) + c.curtailedWh;
        uint256 charged = a.chargedWh();
        if (curtailed > charged) {
            revert StorageLedgerCurtailedExceedsCharged(stationId, c.participant, uint64(curtailed), uint64(charged));
        }
        // curtailedWh <= charged < 2^48 and gramsPerMWh < 2^32: the product fits easily.
        int64 grams = int64(uint64((uint256(c.curtailedWh) * gramsPerMWh) / 1_000_000));
        int256 avoided = int256(a.avoidedGrams()) + grams;
        if (avoided > type(int56).max) revert StorageLedgerAvoidedOverflow(stationId, c.participant, avoided);
        _consumed[key] = (curtailed << 128) | (raw & MASK128);
        // avoided is within int56 (checked above; it only grows here): every other field kept.
        _accounts[key] = AccountWord.unwrap(a.withAvoided(int64(avoided)));
        emit CurtailmentAttested(
            stationId, intervalStart, c.participant, msg.sender, c.curtailedWh, factorVersion, gramsPerMWh, grams
        );
    }

    /// @inheritdoc IStorageLedger
    function attestCurtailment(uint32 stationId, uint64 intervalStart, CurtailedCharge[] calldata charges)
        external
    {
        _checkRegistryRole(Roles.GRID_OPERATOR_ROLE);
        if (charges.length == 0) revert StorageLedgerCurtailmentEmpty(stationId, intervalStart, address(0));
        StationWord st = _stations[stationId];
        _markAttested(stationId, intervalStart, st);
        // The factor version of the station's latest report (the one avoidedOf reports).
        uint32 gramsPerMWh = _factors.factorAt(st.factorVersion(), _regions[stationId]);
        address previous;
        for (uint256 i; i < charges.length; ++i) {
            CurtailedCharge calldata c = charges[i];
            if (c.participant <= previous) revert StorageLedgerParticipantsNotAscending(previous, c.participant);
            if (c.curtailedWh == 0) revert StorageLedgerCurtailmentEmpty(stationId, intervalStart, c.participant);
            previous = c.participant;
            _bookCurtailed(stationId, intervalStart, c, st.factorVersion(), gramsPerMWh);
        }
    }

    /// @inheritdoc IStorageLedger
    function curtailedOf(uint32 stationId, address participant) external view returns (uint64 curtailedWh) {
        return uint64(_consumed[_accountKey(stationId, participant)] >> 128); // <= charged < 2^48
    }

    /// @inheritdoc IStorageLedger
    function curtailmentAttested(uint32 stationId, uint64 intervalStart) external view returns (bool) {
        StationWord st = _stations[stationId];
        if (!st.onGrid(intervalStart)) return false;
        (uint256 slotKey, uint256 bit) = _curtailmentBit(stationId, intervalStart, st.intervalSeconds());
        return _curtailmentAttested[slotKey] & bit != 0;
    }
}
