// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155MetadataURI} from "@openzeppelin/contracts/token/ERC1155/extensions/IERC1155MetadataURI.sol";

/// @title Carbon credits for avoided emissions (ERC-1155 on OpenZeppelin 5.0.2, ERC-1888 style)
/// @notice In-house credits, labelled as such (not CCER). One token id per issuance: id = requestId.
/// Flow: requestIssuance -> approveIssuance (verifier; consumes the participant's un-issued avoided
/// grams on the StorageLedger, then mints) or rejectIssuance. Holders transfer freely, and retire
/// (burn + claim) with one canonical `Retired` event. A regulator can revoke an id: its live supply
/// at that moment counts as revoked and the id can no longer move or be retired.
/// Invariant per id: issued = live + retired + revoked. 1 unit = `gramsPerUnit` gCO2e (1 kgCO2e).
interface ICarbonCredits is IERC1155MetadataURI {
    /// @notice Lifecycle of one request / token id. "Retired" is an amount, not a state.
    enum CreditState {
        None, // no such request
        Requested, // waiting for a verifier
        Rejected, // refused by a verifier; nothing minted
        Live, // minted; transferable and retirable
        Revoked // revoked by a regulator; frozen
    }

    /// @notice Typed claim data of a retirement (ERC-1888 style claim).
    struct RetireInfo {
        string beneficiary; // who the claim is made for (name)
        address beneficiaryAddress; // its address, or zero
        uint64 periodStart; // consumption period the claim covers, unix seconds
        uint64 periodEnd;
        bytes2 country; // ISO 3166-1 alpha-2, e.g. "CN"
        string purpose; // e.g. "2024 scope 2 offset"
    }

    /// @notice Everything known about one request / token id.
    struct Credit {
        uint256 requestId; // equals the token id
        uint32 stationId;
        address participant;
        uint64 periodStart; // vintage period of the avoided emissions
        uint64 periodEnd;
        uint96 requestedGrams; // gCO2e asked for; the minted units are requestedGrams / gramsPerUnit
        uint16 methodologyVersion;
        uint32 factorVersion; // EmissionFactors dataset version behind the avoided balance
        bytes32 reportsRoot; // Merkle root of the report keys backing the request
        CreditState state;
    }

    // ------------------------------------------------------------------ errors

    /// @notice Only the participant itself or the operator of the station may request for `participant`.
    error CarbonCreditsNotParticipantOrOperator(address caller, address participant);
    /// @notice Only the participant itself or a grid operator may exclude a certificate.
    error CarbonCreditsNotParticipantOrGridOperator(address caller, address participant);
    /// @notice The participant address is zero.
    error CarbonCreditsZeroParticipant();
    /// @notice The period is empty or reversed.
    error CarbonCreditsInvalidPeriod(uint64 periodStart, uint64 periodEnd);
    /// @notice The grams requested do not make one whole unit.
    error CarbonCreditsBelowOneUnit(uint96 grams, uint96 gramsPerUnit);
    /// @notice More units than the per-id cap (2^48 - 1) would be minted.
    error CarbonCreditsAmountTooLarge(uint256 units);
    /// @notice The participant's un-issued avoided balance at the station is smaller than requested.
    error CarbonCreditsInsufficientUnissued(uint32 stationId, address participant, uint96 grams, uint256 unissued);
    /// @notice The factor version named in the request is not the one behind the ledger balance.
    error CarbonCreditsFactorVersionMismatch(uint32 requested, uint32 ledger);
    /// @notice The request is not waiting for a decision.
    error CarbonCreditsRequestNotPending(uint256 requestId, CreditState state);
    /// @notice The id is not live (unknown, pending or rejected) and cannot move.
    error CarbonCreditsNotLive(uint256 id, CreditState state);
    /// @notice The id was revoked: it can neither be transferred nor retired.
    error CarbonCreditsRevoked(uint256 id);
    /// @notice Retiring zero units is meaningless.
    error CarbonCreditsZeroAmount();
    /// @notice The green certificate id is zero or has zero energy.
    error CarbonCreditsInvalidCertificate(bytes32 certificateId, uint64 mwh);
    /// @notice The green certificate was already excluded once.
    error CarbonCreditsCertificateUsed(bytes32 certificateId);

    // ------------------------------------------------------------------ events

    /// @notice A participant (or a station operator for it) asked for credits.
    event IssuanceRequested(
        uint256 indexed requestId,
        uint32 indexed stationId,
        address indexed participant,
        address requester,
        uint64 periodStart,
        uint64 periodEnd,
        uint96 grams,
        uint16 methodologyVersion,
        uint32 factorVersion,
        bytes32 reportsRoot
    );

    /// @notice A verifier approved a request: `consumedGrams` left the ledger's un-issued balance and
    /// `units` of token id `requestId` were minted to the participant.
    event IssuanceApproved(uint256 indexed requestId, address indexed verifier, uint256 units, uint96 consumedGrams);

    /// @notice A verifier rejected a request; nothing was consumed or minted.
    event IssuanceRejected(uint256 indexed requestId, address indexed verifier, bytes32 reasonHash);

    /// @notice A green certificate's energy was excluded: `grams` (= mwh x gramsPerMWh) of avoided
    /// balance were consumed so that energy can never back a credit.
    event GreenCertificateExcluded(
        bytes32 indexed certificateId,
        uint32 indexed stationId,
        address indexed participant,
        address caller,
        uint64 mwh,
        uint32 factorVersion,
        uint32 gramsPerMWh,
        uint96 grams
    );

    /// @notice The one canonical claim event: `amount` units of `id` were burned by `account` for
    /// `beneficiary`.
    event Retired(
        uint256 indexed id,
        address indexed account,
        address indexed beneficiaryAddress,
        uint256 amount,
        string beneficiary,
        uint64 periodStart,
        uint64 periodEnd,
        bytes2 country,
        string purpose
    );

    /// @notice A regulator revoked `id`; `amount` (its live supply) now counts as revoked.
    event Revoked(uint256 indexed id, address indexed regulator, uint256 amount, bytes32 reasonHash);

    // ------------------------------------------------------------------ writes

    /// @notice Asks for credits against the participant's un-issued avoided grams at a station.
    /// @dev Caller: the participant itself or the station's operator (IRegistry.stationOf). Checks the
    /// ledger balance and its factor version now; the balance is consumed only on approval.
    /// @param stationId Station of the avoided emissions.
    /// @param participant Owner of the avoided balance and receiver of the credits.
    /// @param periodStart Vintage start, unix seconds.
    /// @param periodEnd Vintage end, unix seconds (> periodStart).
    /// @param grams gCO2e to convert; must make at least one unit.
    /// @param methodologyVersion Version of the methodology applied.
    /// @param factorVersion EmissionFactors version behind the balance (must match the ledger's).
    /// @param reportsRoot Merkle root of the report keys backing the request.
    /// @return requestId The new request id, which is also the future token id (sequential from 1).
    function requestIssuance(
        uint32 stationId,
        address participant,
        uint64 periodStart,
        uint64 periodEnd,
        uint96 grams,
        uint16 methodologyVersion,
        uint32 factorVersion,
        bytes32 reportsRoot
    ) external returns (uint256 requestId);

    /// @notice Approves a pending request (VERIFIER_ROLE): consumes units x gramsPerUnit grams on the
    /// ledger (the remainder stays un-issued) and mints the units as token id `requestId`.
    /// @return units Units minted.
    function approveIssuance(uint256 requestId) external returns (uint256 units);

    /// @notice Rejects a pending request (VERIFIER_ROLE).
    /// @param reasonHash Hash of the off-chain reason document.
    function rejectIssuance(uint256 requestId, bytes32 reasonHash) external;

    /// @notice Excludes a green certificate's energy (1 GEC = 1 MWh) from the avoided balance.
    /// @dev Caller: the participant itself or GRID_OPERATOR_ROLE. Consumes mwh x gramsPerMWh grams
    /// through StorageLedger.consumeAvoided (reverts if the balance is smaller). The factor is the
    /// station region's factor in the dataset version behind the participant's balance.
    /// @return grams The grams consumed.
    function excludeGreenCertificate(uint32 stationId, address participant, uint64 mwh, bytes32 certificateId)
        external
        returns (uint96 grams);

    /// @notice Burns `amount` of `id` from the caller and records the claim.
    function retire(uint256 id, uint256 amount, RetireInfo calldata info) external;

    /// @notice Revokes a live id (REGULATOR_ROLE).
    /// @param reasonHash Hash of the off-chain reason document.
    function revoke(uint256 id, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ views

    /// @notice Units ever minted for `id`.
    function issued(uint256 id) external view returns (uint256);
    /// @notice Units of `id` retired (burned and claimed).
    function retired(uint256 id) external view returns (uint256);
    /// @notice Units of `id` that were live when it was revoked (0 unless revoked).
    function revoked(uint256 id) external view returns (uint256);
    /// @notice Units of `id` in circulation (0 once revoked).
    function live(uint256 id) external view returns (uint256);
    /// @notice Same as `live`.
    function totalSupply(uint256 id) external view returns (uint256);
    /// @notice State and all counters of `id` in one call (one storage read).
    /// @return state The id's state.
    /// @return issued_ Units ever minted.
    /// @return live_ Units in circulation.
    /// @return retired_ Units retired.
    /// @return revoked_ Units frozen by revocation.
    function amountsOf(uint256 id)
        external
        view
        returns (CreditState state, uint256 issued_, uint256 live_, uint256 retired_, uint256 revoked_);
    /// @notice State of request / id.
    function stateOf(uint256 id) external view returns (CreditState);
    /// @notice Stored data of request / id `id` (state None for an unknown id).
    function creditOf(uint256 id) external view returns (Credit memory);
    /// @notice Units of `id` that `account` retired (ERC-1888 claimedBalanceOf).
    function claimedBalanceOf(address account, uint256 id) external view returns (uint256);
    /// @notice Whether a green certificate id was already excluded.
    function certificateUsed(bytes32 certificateId) external view returns (bool);
    /// @notice Number of requests so far (the last request id).
    function requestCount() external view returns (uint256);
    /// @notice gCO2e per credit unit.
    function gramsPerUnit() external view returns (uint96);
    /// @notice The role registry.
    function registry() external view returns (address);
    /// @notice The StorageLedger whose avoided balances back the credits.
    function ledger() external view returns (address);
    /// @notice The emission-factor registry pricing green certificates (the ledger's `factors()`).
    function factors() external view returns (address);
}
