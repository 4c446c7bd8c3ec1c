// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title CalldataECDSA
/// @notice Signature recovery over calldata, with OpenZeppelin 5.0.2 ECDSA's rules and error codes.
library CalldataECDSA {
    /// @dev ECDSA.tryRecover(digest, signature) of OpenZeppelin 5.0.2 read straight from calldata
    /// (no copy of the 65 bytes to memory): the same outcomes and error codes (RecoverError:
    /// 1 InvalidSignature, 2 InvalidSignatureLength, 3 InvalidSignatureS). Layout: r ‖ s ‖ v,
    /// 65 bytes from sig.offset (bounds checked by the ABI decoder on `signatures[i]`); v is the
    /// 65th byte. The ecrecover precompile (address 1) is called with a 128-byte input built past the
    /// free memory pointer (scratch, pointer not moved) and writes its 32-byte output to scratch
    /// 0x00; it returns no data for an invalid signature, hence the zeroed output word first. A
    /// failing call (out of gas) reverts like Solidity's ecrecover builtin.
    function tryRecover(bytes32 digest, bytes calldata sig) internal view returns (address signer, uint256 err) {
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
}
