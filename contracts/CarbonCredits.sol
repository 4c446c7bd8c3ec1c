// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {ICarbonCredits} from "./interfaces/ICarbonCredits.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {Roles} from "./libraries/Roles.sol";
import {RegistryRoles} from "./base/RegistryRoles.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IStorageLedger} from "./interfaces/IStorageLedger.sol";
import {IEmissionFactorRegistry} from "./interfaces/IEmissionFactorRegistry.sol";

/// @title CarbonCredits
/// @notice ERC-1155 credits (OpenZeppelin 5.0.2 ERC1155), one id per approved issuance request.
/// @dev OpenZeppelin keeps balances, approvals, receiver checks and the standard events. This
/// contract overrides `_update` to refuse any movement of an id that is not Live (so a revoked id
/// can neither be transferred nor retired) and to keep the per-id supply counters, which live in
/// one slot together with the id's state.
contract CarbonCredits is ERC1155, ICarbonCredits, RegistryRoles {
    // ---------------------------------------------------------------- storage


    /// @dev Units per id fit in 48 bits (2.8e14 kgCO2e, several times world annual emissions), so a
    /// request's units share the first request slot and approval reads one request slot only.
    uint256 private constant _MAX_UNITS = type(uint48).max;

    /// @dev Request data in 3 slots, written once at request time.
    struct Request {
        address participant; // slot 0: 160 + 32 + 16 + 48 = 256 bits (all approval needs)
        uint32 stationId;
        uint16 methodologyVersion;
        uint48 units;
        uint64 periodStart; // slot 1: 64 + 64 + 96 + 32 = 256 bits
        uint64 periodEnd;
        uint96 grams;
        uint32 factorVersion;
        bytes32 reportsRoot; // slot 2
    }

    /// @dev Per-id state and counters in one slot (8 + 4 x 56 bits). Every amount is bounded by
    /// `issued` <= _MAX_UNITS < 2^56, so no counter can overflow.
    struct Supply {
        CreditState state;
        uint56 issued;
        uint56 live;
        uint56 retired;
        uint56 revoked;
    }

    IRegistry private immutable _registry;
    IStorageLedger private immutable _ledger;
    IEmissionFactorRegistry private immutable _factors;
    uint96 private immutable _gramsPerUnit;

    uint256 private _requestCount;
    mapping(uint256 id => Request) private _requests;
    mapping(uint256 id => Supply) private _supply;
    mapping(address account => mapping(uint256 id => uint256)) private _claimed;
    mapping(bytes32 certificateId => bool) private _certificateUsed;

    /// @param registry_ Role registry.
    /// @param ledger_ StorageLedger holding the avoided balances (grant this contract LEDGER_WRITER_ROLE).
    /// @param uri_ ERC-1155 metadata URI (clients substitute `{id}`).
    /// @param gramsPerUnit_ gCO2e per credit unit (1000 = 1 kgCO2e).
    constructor(IRegistry registry_, IStorageLedger ledger_, string memory uri_, uint96 gramsPerUnit_)
        ERC1155(uri_)
    {
        if (gramsPerUnit_ == 0) revert CarbonCreditsBelowOneUnit(0, 0);
        _registry = registry_;
        _ledger = ledger_;
        // The ledger's own factor source prices green certificates, so both always agree.
        _factors = IEmissionFactorRegistry(ledger_.factors());
        _gramsPerUnit = gramsPerUnit_;
    }

    // ---------------------------------------------------------------- internal

    function _roleRegistry() internal view override returns (IAccessControl) {
        return _registry;
    }

    /// @dev Reverts unless `id` is Live: the one gate of every mint, burn and transfer.
    function _requireLive(uint256 id, CreditState state) internal pure {
        if (state != CreditState.Live) {
            if (state == CreditState.Revoked) revert CarbonCreditsRevoked(id);
            revert CarbonCreditsNotLive(id, state);
        }
    }

    /// @dev OpenZeppelin's balance hook. Only Live ids move: the check runs before the balances
    /// change, so a revoked id reports CarbonCreditsRevoked rather than a balance error. Mints add to
    /// and burns take from the live supply after OpenZeppelin has checked the balances.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        for (uint256 i; i < ids.length; ++i) {
            _requireLive(ids[i], _supply[ids[i]].state);
        }
        super._update(from, to, ids, values); // also rejects ids.length != values.length
        if (from != address(0) && to != address(0)) return; // a transfer leaves the supply as is
        for (uint256 i; i < ids.length; ++i) {
            Supply storage supply = _supply[ids[i]];
            unchecked {
                // A mint is approval's one mint of `issued` <= _MAX_UNITS units; a burn took at most
                // a balance, and an id's balances sum to its live supply.
                if (from == address(0)) supply.live += uint56(values[i]);
                else supply.live -= uint56(values[i]);
            }
        }
    }

    function _request(
        uint32 stationId,
        address participant,
        uint64 periodStart,
        uint64 periodEnd,
        uint96 grams,
        uint16 methodologyVersion,
        uint32 factorVersion,
        bytes32 reportsRoot
    ) internal returns (uint256 requestId) {
        unchecked {
            requestId = ++_requestCount; // one per transaction at most: 2^256 is out of reach
        }
        _requests[requestId] = Request({
            participant: participant,
            stationId: stationId,
            methodologyVersion: methodologyVersion,
            units: uint48(grams / _gramsPerUnit), // <= _MAX_UNITS, checked by the caller
            periodStart: periodStart,
            periodEnd: periodEnd,
            grams: grams,
            factorVersion: factorVersion,
            reportsRoot: reportsRoot
        });
        // Written now (non-zero) so that approval updates this slot instead of creating it.
        _supply[requestId].state = CreditState.Requested;
        emit IssuanceRequested(
            requestId,
            stationId,
            participant,
            msg.sender,
            periodStart,
            periodEnd,
            grams,
            methodologyVersion,
            factorVersion,
            reportsRoot
        );
    }

    function _approve(uint256 requestId) internal returns (uint256 units) {
        Supply storage supply = _supply[requestId];
        CreditState state = supply.state;
        if (state != CreditState.Requested) revert CarbonCreditsRequestNotPending(requestId, state);
        Request storage request = _requests[requestId];
        address participant = request.participant;
        units = request.units;
        uint96 consumed;
        unchecked {
            consumed = uint96(units) * _gramsPerUnit; // = floor(grams / perUnit) * perUnit <= grams
        }
        supply.state = CreditState.Live;
        supply.issued = uint56(units);
        emit IssuanceApproved(requestId, msg.sender, units, consumed);
        // Reverts when the grams are no longer un-issued (e.g. consumed by another approval).
        _ledger.consumeAvoided(request.stationId, participant, consumed);
        _mint(participant, requestId, units, "");
    }

    function _reject(uint256 requestId, bytes32 reasonHash) internal {
        Supply storage supply = _supply[requestId];
        CreditState state = supply.state;
        if (state != CreditState.Requested) revert CarbonCreditsRequestNotPending(requestId, state);
        supply.state = CreditState.Rejected;
        emit IssuanceRejected(requestId, msg.sender, reasonHash);
    }

    function _excludeCertificate(uint32 stationId, address participant, uint64 mwh, bytes32 certificateId)
        internal
        returns (uint96 grams)
    {
        if (certificateId == bytes32(0) || mwh == 0) revert CarbonCreditsInvalidCertificate(certificateId, mwh);
        if (_certificateUsed[certificateId]) revert CarbonCreditsCertificateUsed(certificateId);
        (,,, uint32 factorVersion) = _ledger.avoidedOf(stationId, participant);
        // The station region's factor in the dataset version behind the participant's balance.
        uint32 gramsPerMWh = _factors.factorAt(factorVersion, _registry.stationOf(stationId).region);
        unchecked {
            grams = uint96(mwh) * gramsPerMWh; // (2^64 - 1) x (2^32 - 1) < 2^96
        }
        _certificateUsed[certificateId] = true;
        emit GreenCertificateExcluded(
            certificateId, stationId, participant, msg.sender, mwh, factorVersion, gramsPerMWh, grams
        );
        _ledger.consumeAvoided(stationId, participant, grams);
    }

    function _retire(address account, uint256 id, uint256 amount, RetireInfo calldata info) internal {
        _burn(account, id, amount); // the _update hook refuses a revoked or non-live id
        unchecked {
            // amount <= the account's former balance <= issued < 2^56
            _supply[id].retired += uint56(amount);
            _claimed[account][id] += amount;
        }
        emit Retired(
            id,
            account,
            info.beneficiaryAddress,
            amount,
            info.beneficiary,
            info.periodStart,
            info.periodEnd,
            info.country,
            info.purpose
        );
    }

    function _revoke(uint256 id, bytes32 reasonHash) internal {
        Supply storage supply = _supply[id];
        _requireLive(id, supply.state);
        uint56 amount = supply.live;
        supply.state = CreditState.Revoked;
        supply.revoked = amount;
        supply.live = 0;
        emit Revoked(id, msg.sender, amount, reasonHash);
    }

    // ---------------------------------------------------------------- external writes

    /// @inheritdoc ICarbonCredits
    function requestIssuance(
        uint32 stationId,
        address participant,
        uint64 periodStart,
        uint64 periodEnd,
        uint96 grams,
        uint16 methodologyVersion,
        uint32 factorVersion,
        bytes32 reportsRoot
    ) external returns (uint256 requestId) {
        if (participant == address(0)) revert CarbonCreditsZeroParticipant();
        if (msg.sender != participant && _registry.stationOf(stationId).operator != msg.sender) {
            revert CarbonCreditsNotParticipantOrOperator(msg.sender, participant);
        }
        if (periodStart >= periodEnd) revert CarbonCreditsInvalidPeriod(periodStart, periodEnd);
        uint256 units = grams / _gramsPerUnit;
        if (units == 0) revert CarbonCreditsBelowOneUnit(grams, _gramsPerUnit);
        if (units > _MAX_UNITS) revert CarbonCreditsAmountTooLarge(units);
        (,, uint256 unissued, uint32 ledgerFactorVersion) = _ledger.avoidedOf(stationId, participant);
        if (grams > unissued) revert CarbonCreditsInsufficientUnissued(stationId, participant, grams, unissued);
        if (factorVersion != ledgerFactorVersion) {
            revert CarbonCreditsFactorVersionMismatch(factorVersion, ledgerFactorVersion);
        }
        return _request(
            stationId, participant, periodStart, periodEnd, grams, methodologyVersion, factorVersion, reportsRoot
        );
    }

    /// @inheritdoc ICarbonCredits
    function approveIssuance(uint256 requestId) external returns (uint256 units) {
        _checkRegistryRole(Roles.VERIFIER_ROLE);
        return _approve(requestId);
    }

    /// @inheritdoc ICarbonCredits
    function rejectIssuance(uint256 requestId, bytes32 reasonHash) external {
        _checkRegistryRole(Roles.VERIFIER_ROLE);
        _reject(requestId, reasonHash);
    }

    /// @inheritdoc ICarbonCredits
    function excludeGreenCertificate(uint32 stationId, address participant, uint64 mwh, bytes32 certificateId)
        external
        returns (uint96 grams)
    {
        if (msg.sender != participant && !_hasRole(Roles.GRID_OPERATOR_ROLE, msg.sender)) {
            revert CarbonCreditsNotParticipantOrGridOperator(msg.sender, participant);
        }
        return _excludeCertificate(stationId, participant, mwh, certificateId);
    }

    /// @inheritdoc ICarbonCredits
    function retire(uint256 id, uint256 amount, RetireInfo calldata info) external {
        if (amount == 0) revert CarbonCreditsZeroAmount();
        _retire(msg.sender, id, amount, info);
    }

    /// @inheritdoc ICarbonCredits
    function revoke(uint256 id, bytes32 reasonHash) external {
        _checkRegistryRole(Roles.REGULATOR_ROLE);
        _revoke(id, reasonHash);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, IERC165) returns (bool) {
        return interfaceId == type(ICarbonCredits).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc ICarbonCredits
    function issued(uint256 id) external view returns (uint256) {
        return _supply[id].issued;
    }

    /// @inheritdoc ICarbonCredits
    function retired(uint256 id) external view returns (uint256) {
        return _supply[id].retired;
    }

    /// @inheritdoc ICarbonCredits
    function revoked(uint256 id) external view returns (uint256) {
        return _supply[id].revoked;
    }

    /// @inheritdoc ICarbonCredits
    function live(uint256 id) external view returns (uint256) {
        return _supply[id].live;
    }

    /// @inheritdoc ICarbonCredits
    function totalSupply(uint256 id) external view returns (uint256) {
        return _supply[id].live;
    }

    /// @inheritdoc ICarbonCredits
    function amountsOf(uint256 id)
        external
        view
        returns (CreditState state, uint256 issued_, uint256 live_, uint256 retired_, uint256 revoked_)
    {
        Supply memory supply = _supply[id];
        return (supply.state, supply.issued, supply.live, supply.retired, supply.revoked);
    }

    /// @inheritdoc ICarbonCredits
    function stateOf(uint256 id) external view returns (CreditState) {
        return _supply[id].state;
    }

    /// @inheritdoc ICarbonCredits
    function creditOf(uint256 id) external view returns (Credit memory) {
        Request storage request = _requests[id];
        return Credit({
            requestId: id,
            stationId: request.stationId,
            participant: request.participant,
            periodStart: request.periodStart,
            periodEnd: request.periodEnd,
            requestedGrams: request.grams,
            methodologyVersion: request.methodologyVersion,
            factorVersion: request.factorVersion,
            reportsRoot: request.reportsRoot,
            state: _supply[id].state
        });
    }

    /// @inheritdoc ICarbonCredits
    function claimedBalanceOf(address account, uint256 id) external view returns (uint256) {
        return _claimed[account][id];
    }

    /// @inheritdoc ICarbonCredits
    function certificateUsed(bytes32 certificateId) external view returns (bool) {
        return _certificateUsed[certificateId];
    }

    /// @inheritdoc ICarbonCredits
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc ICarbonCredits
    function gramsPerUnit() external view returns (uint96) {
        return _gramsPerUnit;
    }

    /// @inheritdoc ICarbonCredits
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ICarbonCredits
    function ledger() external view returns (address) {
        return address(_ledger);
    }

    /// @inheritdoc ICarbonCredits
    function factors() external view returns (address) {
        return address(_factors);
    }
}
