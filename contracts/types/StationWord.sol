// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev StationWord: a station's registry parameters cached by the ledger plus its latest interval,
 * one storage slot.
 *
 * Layout (from the least significant bit):
 * lastEnd u40 [0,40) | socBps u16 [40,56) | sohBps u16 [56,72) | factorVersion u32 [72,104) |
 * intervalSeconds u32 [104,136) | gridOffset u32 [136,168) | effBps u16 [168,184) | capacityWh u64 [184,248)
 *
 * The state part [0,104) changes with every accepted report (withState); the parameters above it are
 * written once, when the station's first report caches them (params), and never change (station
 * physical parameters are immutable in the registry). intervalSeconds == 0: not cached yet;
 * lastEnd == 0: no report yet. gridOffset = gridStart mod intervalSeconds.
 */
type StationWord is uint256;

using StationWordLibrary for StationWord global;

/// @notice Getters and setters of the StationWord type.
library StationWordLibrary {
    uint256 internal constant STATE_BITS = 104;

    function lastEnd(StationWord w) internal pure returns (uint64) {
        return uint40(StationWord.unwrap(w));
    }

    function socBps(StationWord w) internal pure returns (uint16) {
        return uint16(StationWord.unwrap(w) >> 40);
    }

    function sohBps(StationWord w) internal pure returns (uint16) {
        return uint16(StationWord.unwrap(w) >> 56);
    }

    function factorVersion(StationWord w) internal pure returns (uint32) {
        return uint32(StationWord.unwrap(w) >> 72);
    }

    function intervalSeconds(StationWord w) internal pure returns (uint32) {
        return uint32(StationWord.unwrap(w) >> 104);
    }

    function gridOffset(StationWord w) internal pure returns (uint32) {
        return uint32(StationWord.unwrap(w) >> 136);
    }

    function effBps(StationWord w) internal pure returns (uint16) {
        return uint16(StationWord.unwrap(w) >> 168);
    }

    function capacityWh(StationWord w) internal pure returns (uint64) {
        return uint64(StationWord.unwrap(w) >> 184);
    }

    /// @notice Whether `start` is on the grid of a cached station.
    function onGrid(StationWord w, uint64 start) internal pure returns (bool) {
        uint32 length = intervalSeconds(w);
        return length != 0 && start % length == gridOffset(w);
    }

    /// @notice A word holding only the cached parameters (no report yet).
    function params(uint32 intervalSeconds_, uint32 gridOffset_, uint16 effBps_, uint64 capacityWh_)
        internal
        pure
        returns (StationWord)
    {
        return StationWord.wrap(
            (uint256(intervalSeconds_) << 104) | (uint256(gridOffset_) << 136) | (uint256(effBps_) << 168)
                | (uint256(capacityWh_) << 184)
        );
    }

    /// @notice `w` with its state part replaced; the parameters are kept. lastEnd_ must be below 2^40.
    function withState(StationWord w, uint64 lastEnd_, uint16 socBps_, uint16 sohBps_, uint32 factorVersion_)
        internal
        pure
        returns (StationWord)
    {
        return StationWord.wrap(
            (StationWord.unwrap(w) & ~uint256(type(uint104).max)) | uint256(lastEnd_) | (uint256(socBps_) << 40)
                | (uint256(sohBps_) << 56) | (uint256(factorVersion_) << 72)
        );
    }
}
