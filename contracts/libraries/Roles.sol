// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Roles
/// @notice The suite's role ids, declared once. The Registry holds the grants (OpenZeppelin
/// AccessControl) and exposes these as its public constants; every other contract checks them on
/// the Registry through base/RegistryRoles.
library Roles {
    /// @notice OpenZeppelin AccessControl's DEFAULT_ADMIN_ROLE.
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant GRID_OPERATOR_ROLE = keccak256("GRID_OPERATOR_ROLE");
    bytes32 internal constant STATION_OPERATOR_ROLE = keccak256("STATION_OPERATOR_ROLE");
    bytes32 internal constant PARTICIPANT_ROLE = keccak256("PARTICIPANT_ROLE");
    bytes32 internal constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    bytes32 internal constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 internal constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    bytes32 internal constant LEDGER_WRITER_ROLE = keccak256("LEDGER_WRITER_ROLE");
    bytes32 internal constant ECONOMIC_OPERATOR_ROLE = keccak256("ECONOMIC_OPERATOR_ROLE");
    bytes32 internal constant RECYCLER_ROLE = keccak256("RECYCLER_ROLE");
}
