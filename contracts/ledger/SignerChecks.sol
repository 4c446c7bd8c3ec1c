// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IStorageLedger} from "../interfaces/IStorageLedger.sol";
import {CalldataECDSA} from "../libraries/CalldataECDSA.sol";
import {LedgerState} from "./LedgerState.sol";

/// @title SignerChecks
/// @notice The oracle quorum check of a report: signatures recovered from calldata, ascending,
/// current oracles (membership remembered per oracle-set version), at least the threshold.
abstract contract SignerChecks is LedgerState {
    /// @dev Recover the signers, require them ascending, current oracles and at least `threshold` many.
    /// Fast path: all signatures recover, the signers ascend and this signer set was confirmed under
    /// the current oracle-set version (_oracleSetSeen). Otherwise the per-signer loop (_verifyEach)
    /// runs, which reverts with exactly the error and order it always had, and on success the set is
    /// remembered. Failing checks always revert, so remembering the set only skips lookups whose
    /// outcome (each signer an oracle under this version) is already known.
    function _verifySigners(bytes32 digest, bytes[] calldata signatures, Context memory ctx)
        internal
        returns (address[] memory signers)
    {
        uint256 n = signatures.length;
        if (n < ctx.threshold) revert StorageLedgerQuorumNotReached(n, ctx.threshold);
        signers = new address[](n);
        address previous;
        bool clean = true;
        for (uint256 i; i < n; ++i) {
            (address signer, uint256 err) = CalldataECDSA.tryRecover(digest, signatures[i]);
            if (err != 0 || signer <= previous) {
                clean = false;
                break;
            }
            signers[i] = signer;
            previous = signer;
        }
        if (!clean) {
            _verifyEach(digest, signatures, ctx, signers); // reverts
            return signers;
        }
        bytes32 setKey = _signerSetKey(ctx.oracleVersion, signers);
        if (_oracleSetSeen[setKey] != 0) return signers;
        // Recovery and order already passed: only the membership checks remain, in signer order.
        for (uint256 i; i < n; ++i) {
            _requireOracle(signers[i], ctx.oracleVersion);
        }
        _oracleSetSeen[setKey] = 1;
    }

    /// @dev The original per-signature loop: recover, ascending, oracle membership, reverting on the
    /// first failure. Only reached when a signature does not recover or the signers do not ascend.
    function _verifyEach(bytes32 digest, bytes[] calldata signatures, Context memory ctx, address[] memory signers)
        internal
    {
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, uint256 err) = CalldataECDSA.tryRecover(digest, signatures[i]);
            if (err != 0) revert StorageLedgerSignatureInvalid(i, uint8(err)); // err <= 3
            if (signer <= previous) revert StorageLedgerSignersNotAscending(previous, signer);
            _requireOracle(signer, ctx.oracleVersion);
            signers[i] = signer;
            previous = signer;
        }
    }

    /// @dev keccak256(version || keccak256(signer words)). The signers' words are the items of the
    /// memory array (after its length word), hashed in place; the outer hash is built in scratch
    /// space 0x00-0x3f. Nothing is written outside the scratch space, hence "memory-safe".
    function _signerSetKey(uint32 version, address[] memory signers) internal pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, version)
            mstore(0x20, keccak256(add(signers, 0x20), shl(5, mload(signers))))
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev Membership confirmed by the registry is remembered per oracle-set version: a signer costs
    /// one local read per transaction instead of a registry call.
    function _requireOracle(address signer, uint32 version) internal {
        if (_oracleSeen[signer] == version) return;
        if (_registry.oracleIndex(signer) == 0) revert StorageLedgerSignerNotOracle(signer);
        _oracleSeen[signer] = version;
    }
}
