// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title RegistryRoles
/// @notice The one role check of the suite's contracts: a role (libraries/Roles) held on the
/// Registry. A missing role reverts with OpenZeppelin's
/// `AccessControlUnauthorizedAccount(account, neededRole)`, the error the Registry's own
/// `onlyRole` raises, so the whole suite has one unauthorized error.
abstract contract RegistryRoles {
    /// @dev The Registry holding the grants.
    function _roleRegistry() internal view virtual returns (IAccessControl);

    function _hasRole(bytes32 role, address account) internal view returns (bool) {
        return _roleRegistry().hasRole(role, account);
    }

    /// @dev Reverts unless msg.sender holds `role` on the Registry.
    function _checkRegistryRole(bytes32 role) internal view {
        if (!_hasRole(role, msg.sender)) revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
    }
}
