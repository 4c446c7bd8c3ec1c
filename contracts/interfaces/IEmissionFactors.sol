// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IEmissionFactors
/// @notice The part of the versioned grid emission-factor registry that the storage ledger reads.
/// @dev The implementation (EmissionFactors.sol) declares its own errors and events; for an unknown
/// region `currentFactor` reverts with the implementation's own custom error.
interface IEmissionFactors {
    /// @notice The factor in force for `region`.
    /// @param region Region code as a left-aligned bytes32 string, e.g. "CN-NW".
    /// @return version The factor version (changes whenever the region's factor changes).
    /// @return gramsPerMWh The location-based grid emission factor in gCO2e per MWh.
    function currentFactor(bytes32 region) external view returns (uint32 version, uint32 gramsPerMWh);

    /// @notice The factor of `region` in dataset `version`.
    /// @dev The implementation reverts with EmissionFactorsUnknownVersion or EmissionFactorsRegionNotInVersion.
    function factorAt(uint32 version, bytes32 region) external view returns (uint32 gramsPerMWh);
}
