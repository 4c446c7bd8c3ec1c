// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Settlement statements anchored on-chain and mutually recognised (贡献度互认)
/// @notice Per station and period the operator anchors a statement: the Merkle root of its lines, the
/// hash of the tariff terms it applies, the net total and a dispute window. Each participant
/// acknowledges or disputes it with its own key, proving its line. After the window anyone finalizes:
/// an undisputed statement becomes Final (immutable), a disputed one becomes Disputed and can only be
/// replaced by a new version that names it in `supersedesVersion`.
/// @dev Lines are leaves of an OpenZeppelin StandardMerkleTree with leaf encoding
/// `["address", "int256", "bytes32"]` = (participant, netMinor, lineHash):
/// leaf = keccak256(bytes.concat(keccak256(abi.encode(participant, netMinor, lineHash)))), sorted-pair
/// hashing. netMinor is the participant's signed net amount in minor currency units (fen; positive =
/// paid to the participant); lineHash is keccak256 of the line's canonical detail (kept off-chain).
interface ISettlementAnchor {
    /// @notice Lifecycle of one statement version.
    enum StatementState {
        None, // never anchored
        Pending, // anchored; participants may respond until the deadline
        Final, // window over without dispute; immutable
        Disputed, // window over with at least one dispute; waits for a superseding version
        Superseded // replaced by a newer version
    }

    /// @notice A participant's answer to one statement version.
    enum Response {
        None,
        Acknowledged,
        Disputed
    }

    /// @notice One statement version as stored (4 slots). The state shares its slot with the
    /// response counters, so that slot already exists when the first response is counted.
    struct Statement {
        bytes32 linesRoot;
        bytes32 termsHash;
        int128 netTotal; // sum of all lines' netMinor
        uint64 deadline; // responses accepted while block.timestamp < deadline
        uint32 participantCount; // number of lines, as declared by the anchoring operator
        uint16 supersedesVersion; // 0 = first version of the period
        uint32 acknowledgedCount; // slot 3 starts here
        uint32 disputedCount;
        StatementState state;
        uint16 supersededBy; // 0 unless Superseded
    }

    /// @notice A participant's answer signed off-chain (EIP-712 type `LineResponse`, domain
    /// "ESSLedgerSettlement" version "1", this contract and chain) and relayed by anyone. The signed
    /// struct also carries `uint8 response` (1 = Acknowledged, 2 = Disputed), set by the entry point,
    /// so an acknowledgement signature can never be replayed as a dispute or the other way round.
    struct LineResponse {
        uint32 stationId;
        uint32 period;
        uint16 version;
        address participant; // the signer; its line is the leaf the proof shows
        int256 netMinor;
        bytes32 lineHash;
        bytes32 reasonHash; // zero for an acknowledgement; non-zero for a dispute
        uint64 signatureDeadline; // the signature is refused once block.timestamp > signatureDeadline
    }

    // ------------------------------------------------------------------ errors

    /// @notice Only the station's operator or an admin may register terms for `stationId`.
    error SettlementAnchorNotStationOperator(address account, uint32 stationId);
    /// @notice Only a grid operator or the station's operator may anchor statements for `stationId`.
    error SettlementAnchorNotAnchorer(address account, uint32 stationId);
    /// @notice A hash or root argument is zero.
    error SettlementAnchorZeroHash();
    /// @notice The terms hash is already registered for the station (as `version`).
    error SettlementAnchorTermsExists(uint32 stationId, bytes32 termsHash, uint32 version);
    /// @notice Terms versions of a station must strictly increase.
    error SettlementAnchorTermsVersionNotIncreasing(uint32 stationId, uint32 version, uint32 latestVersion);
    /// @notice The statement names terms that were not registered for the station.
    error SettlementAnchorUnknownTerms(uint32 stationId, bytes32 termsHash);
    /// @notice Statement version zero or period zero.
    error SettlementAnchorInvalidKey(uint32 stationId, uint32 period, uint16 version);
    /// @notice The dispute window is zero or longer than the maximum.
    error SettlementAnchorInvalidWindow(uint64 disputeWindowSeconds, uint64 maxSeconds);
    /// @notice A statement must have at least one participant.
    error SettlementAnchorNoParticipants();
    /// @notice `supersedesVersion` does not name the latest version of the period (0 when none exists).
    error SettlementAnchorSupersededMismatch(
        uint32 stationId, uint32 period, uint16 supersedesVersion, uint16 latestVersion
    );
    /// @notice A new version must be greater than the one it supersedes.
    error SettlementAnchorVersionNotIncreasing(uint16 version, uint16 supersedesVersion);
    /// @notice The statement to supersede is Final (or otherwise not replaceable).
    error SettlementAnchorNotSupersedable(uint32 stationId, uint32 period, uint16 version, StatementState state);
    /// @notice No statement with this key.
    error SettlementAnchorUnknownStatement(uint32 stationId, uint32 period, uint16 version);
    /// @notice The statement is no longer Pending (Final, Disputed or Superseded).
    error SettlementAnchorNotPending(uint32 stationId, uint32 period, uint16 version, StatementState state);
    /// @notice The dispute window closed at `deadline`.
    error SettlementAnchorWindowClosed(uint32 stationId, uint32 period, uint16 version, uint64 deadline);
    /// @notice The dispute window is still open until `deadline`.
    error SettlementAnchorWindowOpen(uint32 stationId, uint32 period, uint16 version, uint64 deadline);
    /// @notice The proof does not show a line of `account` under the statement's root.
    error SettlementAnchorNotParticipant(address account, uint32 stationId, uint32 period, uint16 version);
    /// @notice `account` already answered this statement version.
    error SettlementAnchorAlreadyResponded(address account, Response response);
    /// @notice A relayed response's signature expired at `signatureDeadline`.
    error SettlementAnchorSignatureExpired(uint64 signatureDeadline);
    /// @notice The relayed response was not signed by `participant` (`recovered` signed it, or zero).
    error SettlementAnchorInvalidSignature(address participant, address recovered);
    /// @notice An acknowledgement carries no reason; `reasonHash` must be zero.
    error SettlementAnchorUnexpectedReason(bytes32 reasonHash);

    // ------------------------------------------------------------------ events

    /// @notice Tariff terms `termsHash` were registered as `version` for `stationId`.
    event TermsRegistered(uint32 indexed stationId, bytes32 indexed termsHash, uint32 indexed version, address by);

    /// @notice A statement version was anchored.
    event StatementAnchored(
        uint32 indexed stationId,
        uint32 indexed period,
        uint16 indexed version,
        bytes32 linesRoot,
        bytes32 termsHash,
        int128 netTotal,
        uint32 participantCount,
        uint64 deadline,
        uint16 supersedesVersion,
        address by
    );

    /// @notice `oldVersion` was replaced by `newVersion`.
    event StatementSuperseded(
        uint32 indexed stationId, uint32 indexed period, uint16 indexed oldVersion, uint16 newVersion
    );

    /// @notice `participant` acknowledged its line.
    event StatementAcknowledged(
        uint32 indexed stationId,
        uint32 indexed period,
        address indexed participant,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash
    );

    /// @notice `participant` disputed the statement.
    event StatementDisputed(
        uint32 indexed stationId,
        uint32 indexed period,
        address indexed participant,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32 reasonHash
    );

    /// @notice The window ended; `outcome` is Final or Disputed.
    event StatementFinalized(
        uint32 indexed stationId,
        uint32 indexed period,
        uint16 indexed version,
        StatementState outcome,
        uint32 acknowledgedCount,
        uint32 disputedCount
    );

    // ------------------------------------------------------------------ writes

    /// @notice Registers the hash of a tariff terms version for a station (station operator or admin).
    /// @param version Must be greater than the station's latest terms version.
    function registerTerms(uint32 stationId, bytes32 termsHash, uint32 version) external;

    /// @notice Anchors a statement version (grid operator or the station's operator).
    /// @param stationId Station.
    /// @param period Settlement period, e.g. yyyymmdd (non-zero).
    /// @param version Statement version (non-zero; greater than `supersedesVersion`).
    /// @param linesRoot StandardMerkleTree root over the lines (see the leaf format above).
    /// @param termsHash Registered terms the lines apply.
    /// @param netTotal Sum of the lines' netMinor.
    /// @param participantCount Number of lines (> 0).
    /// @param disputeWindowSeconds Window for responses, 1 s .. 90 days.
    /// @param supersedesVersion 0 for the period's first statement; otherwise its latest version,
    /// which must be Pending or Disputed and becomes Superseded.
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
    ) external;

    /// @notice The caller acknowledges its line (within the window).
    /// @param netMinor, lineHash The caller's leaf fields; `proof` proves the leaf under linesRoot.
    function acknowledge(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof
    ) external;

    /// @notice The caller disputes the statement (within the window), proving it has a line.
    /// @param reasonHash Hash of the off-chain dispute reason (non-zero).
    function dispute(
        uint32 stationId,
        uint32 period,
        uint16 version,
        int256 netMinor,
        bytes32 lineHash,
        bytes32[] calldata proof,
        bytes32 reasonHash
    ) external;

    /// @notice Relays `r.participant`'s signed acknowledgement (anyone may send it; the counted account
    /// is `r.participant`, never msg.sender). Same checks as `acknowledge`, plus the signature.
    /// @param proof Proves the leaf (r.participant, r.netMinor, r.lineHash) under linesRoot.
    /// @param signature 65-byte ECDSA signature of the EIP-712 `LineResponse` with response = 1.
    function acknowledgeBySig(LineResponse calldata r, bytes32[] calldata proof, bytes calldata signature)
        external;

    /// @notice Relays `r.participant`'s signed dispute (response = 2; `r.reasonHash` non-zero).
    function disputeBySig(LineResponse calldata r, bytes32[] calldata proof, bytes calldata signature)
        external;

    /// @notice Closes a Pending statement after its window (anyone): Final if undisputed, else Disputed.
    function finalize(uint32 stationId, uint32 period, uint16 version) external returns (StatementState outcome);

    // ------------------------------------------------------------------ views

    /// @notice Whether (participant, netMinor, lineHash) is a line of the statement.
    /// @dev Reverts SettlementAnchorUnknownStatement for an unknown key.
    function verifyLine(
        uint32 stationId,
        uint32 period,
        uint16 version,
        bytes32[] calldata proof,
        address participant,
        int256 netMinor,
        bytes32 lineHash
    ) external view returns (bool);

    /// @notice The leaf hash of a line (double keccak of the ABI encoding, StandardMerkleTree style).
    function lineLeaf(address participant, int256 netMinor, bytes32 lineHash) external pure returns (bytes32);

    /// @notice A statement version (state None for an unknown key).
    function statementOf(uint32 stationId, uint32 period, uint16 version) external view returns (Statement memory);

    /// @notice State of a statement version.
    function stateOf(uint32 stationId, uint32 period, uint16 version) external view returns (StatementState);

    /// @notice Latest anchored version of (station, period), 0 when none.
    function latestVersion(uint32 stationId, uint32 period) external view returns (uint16);

    /// @notice A participant's response to a statement version.
    function responseOf(uint32 stationId, uint32 period, uint16 version, address participant)
        external
        view
        returns (Response);

    /// @notice Terms version registered for `termsHash` at `stationId`, 0 when none.
    function termsVersionOf(uint32 stationId, bytes32 termsHash) external view returns (uint32);

    /// @notice Latest terms version registered for `stationId`, 0 when none.
    function latestTermsVersion(uint32 stationId) external view returns (uint32);

    /// @notice The EIP-712 digest a participant signs for `acknowledgeBySig` (response Acknowledged)
    /// or `disputeBySig` (Disputed).
    function responseDigest(LineResponse calldata r, Response response) external view returns (bytes32);

    /// @notice The role registry.
    function registry() external view returns (address);
}
