// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ISettlementAnchor} from "./interfaces/ISettlementAnchor.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {Roles} from "./libraries/Roles.sol";
import {RegistryRoles} from "./base/RegistryRoles.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title SettlementAnchor
/// @notice Anchors settlement statements (Merkle roots of their lines) and records each participant's
/// acknowledgement or dispute. Storage holds roots, hashes and counters; lines stay off-chain.
/// A participant answers either itself (msg.sender) or through a relayer with an EIP-712 signature.
contract SettlementAnchor is EIP712, ISettlementAnchor, RegistryRoles {
    // ---------------------------------------------------------------- storage

    /// @dev Longest dispute window accepted (90 days); also keeps `now + window` far from overflow.
    uint64 private constant _MAX_WINDOW = 90 days;
    bytes32 private constant _RESPONSE_TYPEHASH = keccak256(
        "LineResponse(uint32 stationId,uint32 period,uint16 version,address participant,uint8 response,"
        "int256 netMinor,bytes32 lineHash,bytes32 reasonHash,uint64 signatureDeadline)"
    );

    IRegistry private immutable _registry;

    mapping(uint32 stationId => mapping(bytes32 termsHash => uint32 version)) private _termsVersion;
    mapping(uint32 stationId => uint32 version) private _latestTerms;
    mapping(uint32 stationId => mapping(uint32 period => mapping(uint16 version => Statement))) private _statements;
    mapping(uint32 stationId => mapping(uint32 period => uint16 version)) private _latest;
    mapping(uint32 stationId => mapping(uint32 period => mapping(uint16 version => mapping(address => Response))))
        private _responses;

    constructor(IRegistry registry_) EIP712("ESSLedgerSettlement", "1") {
        _registry = registry_;
    }

    function _roleRegistry() internal view override returns (IAccessControl) {
        return _registry;
    }

    // ---------------------------------------------------------------- internal

    function _leaf(address participant, int256 netMinor, bytes32 lineHash) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(participant, netMinor, lineHash))));
    }

    function _registerTerms(uint32 stationId, bytes32 termsHash, uint32 version) internal {
        if (termsHash == bytes32(0)) revert SettlementAnchorZeroHash();
        uint32 existing = _termsVersion[stationId][termsHash];
        if (existing != 0) revert SettlementAnchorTermsExists(stationId, termsHash, existing);
        uint32 latest = _latestTerms[stationId];
        if (version <= latest) revert SettlementAnchorTermsVersionNotIncreasing(stationId, version, latest);
        _termsVersion[stationId][termsHash] = version;
        _latestTerms[stationId] = version;
        emit TermsRegistered(stationId, termsHash, version, msg.sender);
    }

    function _anchor(
        uint32 stationId,
        uint32 period,
        uint16 version,
        bytes32 linesRoot,
        bytes32 termsHash,
        int128 netTotal,
        uint32 participantCount,
        uint64 disputeWindowSeconds,
        uint16 supersedesVersion
    ) internal {
        if (period == 0 || version == 0) revert SettlementAnchorInvalidKey(stationId, period, version);
        if (linesRoot == bytes32(0)) revert SettlementAnchorZeroHash();
        if (_termsVersion[stationId][termsHash] == 0) revert SettlementAnchorUnknownTerms(stationId, termsHash);
        if (participantCount == 0) revert SettlementAnchorNoParticipants();
        if (disputeWindowSeconds == 0 || disputeWindowSeconds > _MAX_WINDOW) {
            revert SettlementAnchorInvalidWindow(disputeWindowSeconds, _MAX_WINDOW);
        }
        uint16 latest = _latest[stationId][period];
        if (supersedesVersion != latest) {
            revert SettlementAnchorSupersededMismatch(stationId, period, supersedesVersion, latest);
        }
        if (version <= supersedesVersion) revert SettlementAnchorVersionNotIncreasing(version, supersedesVersion);
        if (supersedesVersion != 0) _supersede(stationId, period, supersedesVersion, version);

        uint64 deadline = uint64(block.timestamp) + disputeWindowSeconds; // both far below 2^63
        _latest[stationId][period] = version;
        Statement storage s = _statements[stationId][period][version];
        s.linesRoot = linesRoot;
        s.termsHash = termsHash;
        s.netTotal = netTotal;
        s.deadline = deadline;
        s.participantCount = participantCount;
        s.supersedesVersion = supersedesVersion;
        s.state = StatementState.Pending;
        emit StatementAnchored(
            stationId,
            period,
            version,
            linesRoot,
            termsHash,
            netTotal,
            participantCount,
            deadline,
            supersedesVersion,
            msg.sender
        );
    }

    function _supersede(uint32 stationId, uint32 period, uint16 oldVersion, uint16 newVersion) internal {
        Statement storage old = _statements[stationId][period][oldVersion];
        StatementState state = old.state;
        if (state != StatementState.Pending && state != StatementState.Disputed) {
            revert SettlementAnchorNotSupersedable(stationId, period, oldVersion, state);
        }
        old.state = StatementState.Superseded;
        old.supersededBy = newVersion;
        emit StatementSuperseded(stationId, period, oldVersion, newVersion);
    }

    /// @dev Common checks of acknowledge and dispute; records the response and returns the statement.
    function _respond(
        uint32 stationId,
        uint32 period,
        uint16 version,
        address account,
        bytes32 leaf,
        bytes32[] calldata proof,
        Response response
    ) internal returns (Statement storage s) {
        s = _statements[stationId][period][version];
        StatementState state = s.state;
        if (state != StatementState.Pending) {
            if (state == StatementState.None) revert SettlementAnchorUnknownStatement(stationId, period, version);
            revert SettlementAnchorNotPending(stationId, period, version, state);
        }
        uint64 deadline = s.deadline;
        if (block.timestamp >= deadline) revert SettlementAnchorWindowClosed(stationId, period, version, deadline);
        mapping(address => Response) storage responses = _responses[stationId][period][version];
        Response previous = responses[account];
        if (previous != Response.None) revert SettlementAnchorAlreadyResponded(account, previous);
        if (!MerkleProof.verifyCalldata(proof, s.linesRoot, leaf)) {
            revert SettlementAnchorNotParticipant(account, stationId, period, version);
        }
        responses[account] = response;
    }

    function _acknowledge(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof,
        address account
    ) internal {
        bytes32 leaf = _leaf(account, netMinor, lineHash);
        Statement storage s = _respond(stationId, period, version, account, leaf, proof, Response.Acknowledged);
        unchecked {
            ++s.acknowledgedCount; // one per distinct account with a leaf; far below 2^32 leaves
        }
        emit StatementAcknowledged(stationId, period, account, version, netMinor, lineHash);
    }

    function _dispute(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof,
        bytes32 reasonHash,
        address account
    ) internal {
        if (reasonHash == bytes32(0)) revert SettlementAnchorZeroHash();
        bytes32 leaf = _leaf(account, netMinor, lineHash);
        Statement storage s = _respond(stationId, period, version, account, leaf, proof, Response.Disputed);
        unchecked {
            ++s.disputedCount; // one per distinct account with a leaf; far below 2^32 leaves
        }
        emit StatementDisputed(stationId, period, account, version, netMinor, lineHash, reasonHash);
    }

    function _responseDigest(LineResponse calldata r, Response response) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _RESPONSE_TYPEHASH,
                    r.stationId,
                    r.period,
                    r.version,
                    r.participant,
                    uint8(response),
                    r.netMinor,
                    r.lineHash,
                    r.reasonHash,
                    r.signatureDeadline
                )
            )
        );
    }

    /// @dev Reverts unless `r.participant` signed `r` for `response` and the signature is still valid.
    function _checkResponseSignature(LineResponse calldata r, Response response, bytes calldata signature)
        internal
        view
    {
        if (block.timestamp > r.signatureDeadline) revert SettlementAnchorSignatureExpired(r.signatureDeadline);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(_responseDigest(r, response), signature);
        if (err != ECDSA.RecoverError.NoError || signer != r.participant) {
            revert SettlementAnchorInvalidSignature(r.participant, signer);
        }
    }

    function _finalize(uint32 stationId, uint32 period, uint16 version) internal returns (StatementState outcome) {
        Statement storage s = _statements[stationId][period][version];
        StatementState state = s.state;
        if (state != StatementState.Pending) {
            if (state == StatementState.None) revert SettlementAnchorUnknownStatement(stationId, period, version);
            revert SettlementAnchorNotPending(stationId, period, version, state);
        }
        uint64 deadline = s.deadline;
        if (block.timestamp < deadline) revert SettlementAnchorWindowOpen(stationId, period, version, deadline);
        uint32 disputed = s.disputedCount;
        outcome = disputed == 0 ? StatementState.Final : StatementState.Disputed;
        s.state = outcome;
        emit StatementFinalized(stationId, period, version, outcome, s.acknowledgedCount, disputed);
    }

    function _isStationOperator(uint32 stationId, address account) internal view returns (bool) {
        return _registry.stationOf(stationId).operator == account; // reverts for an unknown station
    }

    // ---------------------------------------------------------------- external writes

    /// @inheritdoc ISettlementAnchor
    function registerTerms(uint32 stationId, bytes32 termsHash, uint32 version) external {
        if (!_isStationOperator(stationId, msg.sender) && !_hasRole(Roles.DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert SettlementAnchorNotStationOperator(msg.sender, stationId);
        }
        _registerTerms(stationId, termsHash, version);
    }

    /// @inheritdoc ISettlementAnchor
    function anchorStatement(
        uint32 stationId,
        uint32 period,
        uint16 version,
        bytes32 linesRoot,
        bytes32 termsHash,
        int128 netTotal,
        uint32 participantCount,
        uint64 disputeWindowSeconds,
        uint16 supersedesVersion
    ) external {
        if (!_hasRole(Roles.GRID_OPERATOR_ROLE, msg.sender) && !_isStationOperator(stationId, msg.sender)) {
            revert SettlementAnchorNotAnchorer(msg.sender, stationId);
        }
        _anchor(
            stationId,
            period,
            version,
            linesRoot,
            termsHash,
            netTotal,
            participantCount,
            disputeWindowSeconds,
            supersedesVersion
        );
    }

    /// @inheritdoc ISettlementAnchor
    function acknowledge(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof
    ) external {
        _acknowledge(stationId, period, version, netMinor, lineHash, proof, msg.sender);
    }

    /// @inheritdoc ISettlementAnchor
    function dispute(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof,
        bytes32 reasonHash
    ) external {
        _dispute(stationId, period, version, netMinor, lineHash, proof, reasonHash, msg.sender);
    }

    /// @inheritdoc ISettlementAnchor
    function acknowledgeBySig(LineResponse calldata r, bytes32[] calldata proof, bytes calldata signature)
        external
    {
        if (r.reasonHash != bytes32(0)) revert SettlementAnchorUnexpectedReason(r.reasonHash);
        _checkResponseSignature(r, Response.Acknowledged, signature);
        _acknowledge(r.stationId, r.period, r.version, r.netMinor, r.lineHash, proof, r.participant);
    }

    /// @inheritdoc ISettlementAnchor
    function disputeBySig(LineResponse calldata r, bytes32[] calldata proof, bytes calldata signature)
        external
    {
        _checkResponseSignature(r, Response.Disputed, signature);
        _dispute(r.stationId, r.period, r.version, r.netMinor, r.lineHash, proof, r.reasonHash, r.participant);
    }

    /// @inheritdoc ISettlementAnchor
    function finalize(uint32 stationId, uint32 period, uint16 version) external returns (StatementState) {
        return _finalize(stationId, period, version);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlementAnchor
    function verifyLine(
        uint32 stationId,
        uint32 period,
        uint16 version,
        bytes32[] calldata proof,
        address participant,
        int256 netMinor,
        bytes32 lineHash
    ) external view returns (bool) {
        Statement storage s = _statements[stationId][period][version];
        if (s.state == StatementState.None) revert SettlementAnchorUnknownStatement(stationId, period, version);
        return MerkleProof.verifyCalldata(proof, s.linesRoot, _leaf(participant, netMinor, lineHash));
    }

    /// @inheritdoc ISettlementAnchor
    function lineLeaf(address participant, int256 netMinor, bytes32 lineHash) external pure returns (bytes32) {
        return _leaf(participant, netMinor, lineHash);
    }

    /// @inheritdoc ISettlementAnchor
    function statementOf(uint32 stationId, uint32 period, uint16 version) external view returns (Statement memory) {
        return _statements[stationId][period][version];
    }

    /// @inheritdoc ISettlementAnchor
    function stateOf(uint32 stationId, uint32 period, uint16 version) external view returns (StatementState) {
        return _statements[stationId][period][version].state;
    }

    /// @inheritdoc ISettlementAnchor
    function latestVersion(uint32 stationId, uint32 period) external view returns (uint16) {
        return _latest[stationId][period];
    }

    /// @inheritdoc ISettlementAnchor
    function responseOf(uint32 stationId, uint32 period, uint16 version, address participant)
        external
        view
        returns (Response)
    {
        return _responses[stationId][period][version][participant];
    }

    /// @inheritdoc ISettlementAnchor
    function termsVersionOf(uint32 stationId, bytes32 termsHash) external view returns (uint32) {
        return _termsVersion[stationId][termsHash];
    }

    /// @inheritdoc ISettlementAnchor
    function latestTermsVersion(uint32 stationId) external view returns (uint32) {
        return _latestTerms[stationId];
    }

    /// @inheritdoc ISettlementAnchor
    function responseDigest(LineResponse calldata r, Response response) external view returns (bytes32) {
        return _responseDigest(r, response);
    }

    /// @inheritdoc ISettlementAnchor
    function registry() external view returns (address) {
        return address(_registry);
    }
}
