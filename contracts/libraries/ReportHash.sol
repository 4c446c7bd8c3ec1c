// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IStorageLedger} from "../interfaces/IStorageLedger.sol";

/// @title ReportHash
/// @notice EIP-712 hashStruct of a Report read from calldata (type strings in IStorageLedger).
library ReportHash {
    bytes32 internal constant PARTICIPANT_DELTA_TYPEHASH = keccak256(
        "ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)"
    );
    bytes32 internal constant REPORT_TYPEHASH = keccak256(
        "Report(uint32 stationId,uint64 intervalStart,uint64 intervalEnd,bytes32 readingsRoot,uint32 readingCount,bytes32 configDigest,uint16 socBps,uint16 sohBps,uint32 cycleCount,uint32 alarmBits,ParticipantDelta[] participants)ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)"
    );

    /// @dev EIP-712 hashStruct of the participant array: keccak256 of the concatenated struct hashes.
    /// Assembly over calldata: a ParticipantDelta is three static words, so the array body is n * 96
    /// contiguous bytes and each struct hash is keccak256(typehash || those 96 bytes). Dirty upper bits
    /// cannot sneak through: they change the digest (no oracle signed it), and booking (ReportBooking) reverts on them, as the ABI decoder would. Uses memory past the free pointer as scratch only.
    function hashParticipants(IStorageLedger.ParticipantDelta[] calldata ps) internal pure returns (bytes32 h) {
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
    /// argument as hashParticipants (the fields booking uses are read through the ABI decoder; the
    /// ones only logged are masked to their type in ReportLog.announce).
    function structHash(IStorageLedger.Report calldata r) internal pure returns (bytes32 h) {
        bytes32 participantsHash = hashParticipants(r.participants);
        bytes32 typehash = REPORT_TYPEHASH;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, typehash)
            calldatacopy(add(buf, 0x20), r, 0x140)
            mstore(add(buf, 0x160), participantsHash)
            h := keccak256(buf, 0x180)
        }
    }
}
