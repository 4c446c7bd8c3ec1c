// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155MetadataURI} from "@openzeppelin/contracts/token/ERC1155/extensions/IERC1155MetadataURI.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC165, IERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";

import {ICarbonCredits} from "./interfaces/ICarbonCredits.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IStorageLedger} from "./interfaces/IStorageLedger.sol";
import {IEmissionFactorRegistry} from "./interfaces/IEmissionFactorRegistry.sol";

/// @title CarbonCredits
/// @notice ERC-1155 credits, one id per approved issuance request.
/// @dev The ERC-1155 core is written here rather than inherited from OpenZeppelin's ERC1155 for gas:
/// each holder's balance shares one slot with its claimed (retired) amount, and each id keeps state,
/// issued, live, retired and revoked in one slot, written at request time so that approval does not
/// pay for a fresh slot. OpenZeppelin supplies the interfaces, the standard errors (IERC1155Errors)
/// and ERC165. Semantics follow OpenZeppelin 5.0.2's ERC1155 (approvals, receiver checks, events).
contract CarbonCredits is ERC165, ICarbonCredits, IERC1155Errors {
    // ---------------------------------------------------------------- storage

    bytes32 private constant _GRID_OPERATOR_ROLE = keccak256("GRID_OPERATOR_ROLE");
    bytes32 private constant _VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 private constant _REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @dev Request data; 3 slots, written once at request time.
    struct Request {
        address participant; // slot 0: 160 + 32 + 16 + 32 = 240 bits
        uint32 stationId;
        uint16 methodologyVersion;
        uint32 factorVersion;
        uint64 periodStart; // slot 1: 64 + 64 + 96 = 224 bits
        uint64 periodEnd;
        uint96 grams;
        bytes32 reportsRoot; // slot 2
    }

    /// @dev Per-id state and counters in one slot (8 + 4 x 56 = 232 bits). Amounts are capped at
    /// 2^56 - 1 units per id (7.2e16 kgCO2e, above world annual emissions), so none can overflow.
    struct Supply {
        CreditState state;
        uint56 issued;
        uint56 live;
        uint56 retired;
        uint56 revoked;
    }

    /// @dev A holder's balance and claimed amount of one id, in one slot.
    struct Holding {
        uint128 balance;
        uint128 claimed;
    }

    IRegistry private immutable _registry;
    IStorageLedger private immutable _ledger;
    IEmissionFactorRegistry private immutable _factors;
    uint96 private immutable _gramsPerUnit;

    string private _uri;
    uint256 private _requestCount;
    mapping(uint256 id => Request) private _requests;
    mapping(uint256 id => Supply) private _supply;
    mapping(uint256 id => mapping(address account => Holding)) private _holdings;
    mapping(address account => mapping(address operator => bool)) private _operatorApprovals;
    mapping(bytes32 certificateId => bool) private _certificateUsed;

    /// @param registry_ Role registry.
    /// @param ledger_ StorageLedger holding the avoided balances (grant this contract LEDGER_WRITER_ROLE).
    /// @param uri_ ERC-1155 metadata URI (clients substitute `{id}`).
    /// @param gramsPerUnit_ gCO2e per credit unit (1000 = 1 kgCO2e).
    constructor(
        IRegistry registry_,
        IStorageLedger ledger_,
        string memory uri_,
        uint96 gramsPerUnit_
    ) {
        if (gramsPerUnit_ == 0) revert CarbonCreditsBelowOneUnit(0, 0);
        _registry = registry_;
        _ledger = ledger_;
        // The ledger's own factor source prices green certificates, so both always agree.
        _factors = IEmissionFactorRegistry(ledger_.factors());
        _uri = uri_;
        _gramsPerUnit = gramsPerUnit_;
    }

    // ---------------------------------------------------------------- internal

    function _checkRole(bytes32 role) internal view {
        if (!_registry.hasRole(role, msg.sender)) revert CarbonCreditsUnauthorized(msg.sender, role);
    }

    /// @dev The balance hook of every mint, burn and transfer: only a Live id moves. Mints add to and
    /// burns take from the live supply. Emits nothing; callers emit the ERC-1155 event.
    function _update(address from, address to, uint256 id, uint256 value) internal {
        Supply storage supply = _supply[id];
        CreditState state = supply.state;
        if (state != CreditState.Live) {
            if (state == CreditState.Revoked) revert CarbonCreditsRevoked(id);
            revert CarbonCreditsNotLive(id, state);
        }
        if (from == address(0)) {
            // Mints happen only in approveIssuance with value = issued <= 2^56 - 1.
            supply.live += uint56(value);
        } else {
            Holding storage holding = _holdings[id][from];
            uint128 balance = holding.balance;
            if (value > balance) revert ERC1155InsufficientBalance(from, balance, value, id);
            unchecked {
                holding.balance = balance - uint128(value); // value <= balance
            }
        }
        if (to == address(0)) {
            unchecked {
                supply.live -= uint56(value); // value <= a holder's balance <= live
            }
        } else {
            unchecked {
                // The balances of an id sum to its live supply, which is below 2^56.
                _holdings[id][to].balance += uint128(value);
            }
        }
    }

    function _transferSingle(address from, address to, uint256 id, uint256 value, bytes memory data) internal {
        if (to == address(0)) revert ERC1155InvalidReceiver(address(0));
        if (from == address(0)) revert ERC1155InvalidSender(address(0));
        _update(from, to, id, value);
        emit TransferSingle(msg.sender, from, to, id, value);
        _checkOnReceived(msg.sender, from, to, id, value, data);
    }

    function _setApprovalForAll(address owner, address operator, bool approved) internal {
        if (operator == address(0)) revert ERC1155InvalidOperator(address(0));
        _operatorApprovals[owner][operator] = approved;
        emit ApprovalForAll(owner, operator, approved);
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
            factorVersion: factorVersion,
            periodStart: periodStart,
            periodEnd: periodEnd,
            grams: grams,
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
        uint96 perUnit = _gramsPerUnit;
        units = request.grams / perUnit; // >= 1 and < 2^56, checked at request time
        uint96 consumed;
        unchecked {
            consumed = uint96(units) * perUnit; // <= request.grams, a uint96
        }
        supply.state = CreditState.Live;
        supply.issued = uint56(units);
        emit IssuanceApproved(requestId, msg.sender, units, consumed);
        // Reverts when the grams are no longer un-issued (e.g. consumed by another approval).
        _ledger.consumeAvoided(request.stationId, participant, consumed);
        _update(address(0), participant, requestId, units);
        emit TransferSingle(msg.sender, address(0), participant, requestId, units);
        _checkOnReceived(msg.sender, address(0), participant, requestId, units, "");
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
        (uint32 factorVersion, uint32 gramsPerMWh) = _greenFactor(stationId, participant);
        unchecked {
            grams = uint96(mwh) * gramsPerMWh; // (2^64 - 1) x (2^32 - 1) < 2^96
        }
        _certificateUsed[certificateId] = true;
        emit GreenCertificateExcluded(
            certificateId, stationId, participant, msg.sender, mwh, factorVersion, gramsPerMWh, grams
        );
        _ledger.consumeAvoided(stationId, participant, grams);
    }

    /// @dev The factor a certificate's MWh is priced at: the station region's factor in the dataset
    /// version behind the participant's avoided balance.
    function _greenFactor(uint32 stationId, address participant)
        internal
        view
        returns (uint32 factorVersion, uint32 gramsPerMWh)
    {
        (,,, factorVersion) = _ledger.avoidedOf(stationId, participant);
        gramsPerMWh = _factors.factorAt(factorVersion, _stationRegion(stationId));
    }

    function _stationRegion(uint32 stationId) internal view returns (bytes32) {
        return _registry.stationOf(stationId).region; // reverts for an unknown station
    }

    function _isStationOperator(uint32 stationId, address account) internal view returns (bool) {
        return _registry.stationOf(stationId).operator == account; // reverts for an unknown station
    }

    function _retire(address account, uint256 id, uint256 amount, RetireInfo calldata info) internal {
        Supply storage supply = _supply[id];
        unchecked {
            // amount <= the account's former balance <= live < 2^56, and retired + live <= issued
            supply.retired += uint56(amount);
            _holdings[id][account].claimed += uint128(amount);
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
        CreditState state = supply.state;
        if (state != CreditState.Live) {
            if (state == CreditState.Revoked) revert CarbonCreditsRevoked(id);
            revert CarbonCreditsNotLive(id, state);
        }
        uint56 amount = supply.live;
        supply.state = CreditState.Revoked;
        supply.revoked = amount;
        supply.live = 0;
        emit Revoked(id, msg.sender, amount, reasonHash);
    }

    /// @dev OpenZeppelin 5.0.2 ERC1155._doSafeTransferAcceptanceCheck.
    function _checkOnReceived(
        address operator,
        address from,
        address to,
        uint256 id,
        uint256 value,
        bytes memory data
    ) private {
        if (to.code.length > 0) {
            try IERC1155Receiver(to).onERC1155Received(operator, from, id, value, data) returns (bytes4 response) {
                if (response != IERC1155Receiver.onERC1155Received.selector) revert ERC1155InvalidReceiver(to);
            } catch (bytes memory reason) {
                if (reason.length == 0) revert ERC1155InvalidReceiver(to);
                assembly ("memory-safe") {
                    revert(add(32, reason), mload(reason))
                }
            }
        }
    }

    /// @dev OpenZeppelin 5.0.2 ERC1155._doSafeBatchTransferAcceptanceCheck.
    function _checkOnBatchReceived(
        address operator,
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values,
        bytes memory data
    ) private {
        if (to.code.length > 0) {
            try IERC1155Receiver(to).onERC1155BatchReceived(operator, from, ids, values, data) returns (
                bytes4 response
            ) {
                if (response != IERC1155Receiver.onERC1155BatchReceived.selector) revert ERC1155InvalidReceiver(to);
            } catch (bytes memory reason) {
                if (reason.length == 0) revert ERC1155InvalidReceiver(to);
                assembly ("memory-safe") {
                    revert(add(32, reason), mload(reason))
                }
            }
        }
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
        if (msg.sender != participant && !_isStationOperator(stationId, msg.sender)) {
            revert CarbonCreditsNotParticipantOrOperator(msg.sender, participant);
        }
        if (periodStart >= periodEnd) revert CarbonCreditsInvalidPeriod(periodStart, periodEnd);
        uint256 units = grams / _gramsPerUnit;
        if (units == 0) revert CarbonCreditsBelowOneUnit(grams, _gramsPerUnit);
        if (units > type(uint56).max) revert CarbonCreditsAmountTooLarge(units);
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
        _checkRole(_VERIFIER_ROLE);
        return _approve(requestId);
    }

    /// @inheritdoc ICarbonCredits
    function rejectIssuance(uint256 requestId, bytes32 reasonHash) external {
        _checkRole(_VERIFIER_ROLE);
        _reject(requestId, reasonHash);
    }

    /// @inheritdoc ICarbonCredits
    function excludeGreenCertificate(uint32 stationId, address participant, uint64 mwh, bytes32 certificateId)
        external
        returns (uint96 grams)
    {
        if (msg.sender != participant && !_registry.hasRole(_GRID_OPERATOR_ROLE, msg.sender)) {
            revert CarbonCreditsNotParticipantOrGridOperator(msg.sender, participant);
        }
        return _excludeCertificate(stationId, participant, mwh, certificateId);
    }

    /// @inheritdoc ICarbonCredits
    function retire(uint256 id, uint256 amount, RetireInfo calldata info) external {
        if (amount == 0) revert CarbonCreditsZeroAmount();
        _update(msg.sender, address(0), id, amount);
        emit TransferSingle(msg.sender, msg.sender, address(0), id, amount);
        _retire(msg.sender, id, amount, info);
    }

    /// @inheritdoc ICarbonCredits
    function revoke(uint256 id, bytes32 reasonHash) external {
        _checkRole(_REGULATOR_ROLE);
        _revoke(id, reasonHash);
    }

    /// @inheritdoc IERC1155
    function setApprovalForAll(address operator, bool approved) external {
        _setApprovalForAll(msg.sender, operator, approved);
    }

    /// @inheritdoc IERC1155
    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes calldata data) external {
        if (from != msg.sender && !_operatorApprovals[from][msg.sender]) {
            revert ERC1155MissingApprovalForAll(msg.sender, from);
        }
        _transferSingle(from, to, id, value, data);
    }

    /// @inheritdoc IERC1155
    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata data
    ) external {
        if (from != msg.sender && !_operatorApprovals[from][msg.sender]) {
            revert ERC1155MissingApprovalForAll(msg.sender, from);
        }
        if (to == address(0)) revert ERC1155InvalidReceiver(address(0));
        if (from == address(0)) revert ERC1155InvalidSender(address(0));
        if (ids.length != values.length) revert ERC1155InvalidArrayLength(ids.length, values.length);
        for (uint256 i; i < ids.length;) {
            _update(from, to, ids[i], values[i]);
            unchecked {
                ++i; // bounded by ids.length
            }
        }
        emit TransferBatch(msg.sender, from, to, ids, values);
        _checkOnBatchReceived(msg.sender, from, to, ids, values, data);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC1155).interfaceId || interfaceId == type(IERC1155MetadataURI).interfaceId
            || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IERC1155MetadataURI
    function uri(uint256) external view returns (string memory) {
        return _uri;
    }

    /// @inheritdoc IERC1155
    function balanceOf(address account, uint256 id) external view returns (uint256) {
        return _holdings[id][account].balance;
    }

    /// @inheritdoc IERC1155
    function balanceOfBatch(address[] calldata accounts, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory balances)
    {
        if (accounts.length != ids.length) revert ERC1155InvalidArrayLength(ids.length, accounts.length);
        balances = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length;) {
            balances[i] = _holdings[ids[i]][accounts[i]].balance;
            unchecked {
                ++i; // bounded by accounts.length
            }
        }
    }

    /// @inheritdoc IERC1155
    function isApprovedForAll(address account, address operator) external view returns (bool) {
        return _operatorApprovals[account][operator];
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
        return _holdings[id][account].claimed;
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
