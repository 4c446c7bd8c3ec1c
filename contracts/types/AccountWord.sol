// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev AccountWord: a participant's energy and avoided-emissions account at a station with its
 * cached lease terms, one storage slot (read and written by every report that lists it).
 *
 * Layout (from the least significant bit):
 * chargedWh u48 [0,48) | dischargedWh u48 [48,96) | avoidedGrams int56 [96,152) |
 * leasedWh u48 [152,200) | validTo >> 16 u24 [200,224) | leaseEpoch u32 [224,256)
 *
 * chargedWh/dischargedWh: the last booked cumulative counters (at most 2^48 - 1 Wh). The balance is
 * not stored: floor(chargedWh * effBps / 10000) - dischargedWh with the station's immutable efficiency.
 * The lease fields cache the registry's lease under its lease epoch: leasedWh clamped to 2^48 - 1 (no
 * balance can exceed that), validTo clamped to 2^40 - 1 and rounded down to a multiple of 2^16 s (the
 * cache answers "active" only below that bound). validFrom is not cached. The booking hot path
 * (ReportBooking._bookOne) reads and writes this layout in assembly on the unwrapped word.
 */
type AccountWord is uint256;

using AccountWordLibrary for AccountWord global;

/// @notice Getters and setters of the AccountWord type.
library AccountWordLibrary {
    uint256 internal constant MASK48 = type(uint48).max;
    uint256 internal constant MAX_VALID_TO = type(uint40).max;

    function chargedWh(AccountWord a) internal pure returns (uint64) {
        return uint64(AccountWord.unwrap(a) & MASK48);
    }

    function dischargedWh(AccountWord a) internal pure returns (uint64) {
        return uint64((AccountWord.unwrap(a) >> 48) & MASK48);
    }

    /// @notice The int56 avoided grams, sign-extended.
    function avoidedGrams(AccountWord a) internal pure returns (int64) {
        return int64(int56(uint56(AccountWord.unwrap(a) >> 96)));
    }

    function leasedWh(AccountWord a) internal pure returns (uint64) {
        return uint64((AccountWord.unwrap(a) >> 152) & MASK48);
    }

    /// @notice Starts below this bound are inside the cached lease (validTo rounded down to 2^16 s).
    function leaseValidBefore(AccountWord a) internal pure returns (uint64) {
        return uint64(((AccountWord.unwrap(a) >> 200) & 0xffffff) << 16);
    }

    function leaseEpoch(AccountWord a) internal pure returns (uint32) {
        return uint32(AccountWord.unwrap(a) >> 224);
    }

    /// @notice `a` with its avoided grams replaced (`avoided` must fit int56); the rest kept.
    function withAvoided(AccountWord a, int64 avoided) internal pure returns (AccountWord) {
        uint256 cleared = AccountWord.unwrap(a) & ~(uint256(type(uint56).max) << 96);
        return AccountWord.wrap(cleared | (uint256(uint56(int56(avoided))) << 96));
    }

    /// @notice `a` with the lease cache replaced by (leased, validTo, epoch), clamped as in the layout.
    function withLease(AccountWord a, uint64 leased, uint64 validTo, uint32 epoch) internal pure returns (AccountWord) {
        uint256 l = leased < MASK48 ? leased : MASK48;
        uint256 to = validTo < MAX_VALID_TO ? validTo : MAX_VALID_TO;
        return AccountWord.wrap(
            (AccountWord.unwrap(a) & ((1 << 152) - 1)) | (l << 152) | ((to >> 16) << 200) | (uint256(epoch) << 224)
        );
    }
}
