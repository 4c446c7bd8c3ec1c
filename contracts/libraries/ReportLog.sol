// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IStorageLedger} from "../interfaces/IStorageLedger.sol";

/// @title ReportLog
/// @notice Emits IStorageLedger.ReportAccepted for a booked report (an internal library function:
/// inlined, so the log comes from the ledger itself).
library ReportLog {
    /// @dev Emit ReportAccepted (signature and data layout in IStorageLedger) with log3 over a buffer
    /// built past the free memory pointer, instead of the ABI encoder's generic calldata and memory
    /// copies. Layout (standard ABI encoding of the non-indexed fields): twelve head words
    /// (intervalEnd, digest, readingsRoot, readingCount, offset of signers = 0x180, socBps, sohBps,
    /// cycleCount, alarmBits, factorVersion, gramsPerMWh, offset of participants), then signers
    /// (length word + one word per address, copied from the memory array: length then items), then
    /// participants (length word + the record bytes padded to a word; records' padding is zero, see
    /// ReportBooking._newRecords / _bookOne). Calldata words: `r` is the offset of the Report head (ten static
    /// words in type order, see ReportHash.structHash). stationId, intervalStart, intervalEnd, socBps and
    /// sohBps were already read through the ABI decoder (which rejects dirty bits); readingCount,
    /// cycleCount and alarmBits are masked to 32 bits here. The buffer is scratch only (the free
    /// memory pointer is not moved), hence "memory-safe".
    function announce(
        IStorageLedger.Report calldata r,
        bytes32 digest,
        address[] memory signers,
        uint256 factorVersion,
        uint256 gramsPerMWh,
        bytes memory records
    ) internal {
        bytes32 topic0 = IStorageLedger.ReportAccepted.selector;
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
}
