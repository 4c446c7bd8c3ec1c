// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEmissionFactors} from "./IEmissionFactors.sol";

/// @title Versioned grid emission-factor datasets
/// @notice Each dataset (a published factor table, identified by the hash of its canonical JSON) is
/// registered once and never edited. Versions are sequential from 1; a newer version supersedes older
/// ones for the regions it covers, and older versions stay readable through `factorAt`.
/// @dev Regions are ASCII codes right-padded to bytes32, exactly like Solidity's `bytes32("CN-NORTH")`.
/// Factors are integer grams CO2e per MWh (0.5366 kgCO2/kWh = 536,600 g/MWh).
interface IEmissionFactorRegistry is IEmissionFactors {
    /// @notice `regions` and `gramsPerMWh` have different lengths.
    error EmissionFactorsLengthMismatch(uint256 regions, uint256 factors);
    /// @notice A dataset must cover at least one region.
    error EmissionFactorsEmptyDataset();
    /// @notice The dataset hash is zero.
    error EmissionFactorsZeroHash();
    /// @notice A dataset with this hash is already registered (as `version`).
    error EmissionFactorsDatasetExists(bytes32 datasetHash, uint32 version);
    /// @notice The validity period is empty or reversed (`validFrom` must be before `validTo`).
    error EmissionFactorsInvalidPeriod(uint64 validFrom, uint64 validTo);
    /// @notice A region code is zero.
    error EmissionFactorsZeroRegion(uint256 index);
    /// @notice A region appears twice in one dataset.
    error EmissionFactorsDuplicateRegion(bytes32 region);
    /// @notice No registered dataset covers `region`.
    error EmissionFactorsUnknownRegion(bytes32 region);
    /// @notice `version` has not been registered.
    error EmissionFactorsUnknownVersion(uint32 version);
    /// @notice Dataset `version` exists but does not cover `region`.
    error EmissionFactorsRegionNotInVersion(uint32 version, bytes32 region);

    /// @notice A dataset was registered. Carries everything needed to rebuild the table off-chain.
    /// @param version The new sequential version.
    /// @param datasetHash keccak256 of the dataset's canonical JSON.
    /// @param sourceUri Where the dataset (and its publication) can be fetched.
    /// @param validFrom Start of validity, unix seconds (inclusive).
    /// @param validTo End of validity, unix seconds (inclusive, last second).
    /// @param regions Region codes covered.
    /// @param gramsPerMWh Factor for each region, same order.
    event DatasetRegistered(
        uint32 indexed version,
        bytes32 indexed datasetHash,
        string sourceUri,
        uint64 validFrom,
        uint64 validTo,
        bytes32[] regions,
        uint32[] gramsPerMWh
    );

    /// @notice What is stored for one dataset version.
    struct Dataset {
        bytes32 datasetHash;
        uint64 validFrom;
        uint64 validTo;
        uint32 regionCount;
        uint64 registeredAt;
    }

    /// @notice Registers a new dataset version (DEFAULT_ADMIN_ROLE on the registry).
    /// @param datasetHash keccak256 of the dataset's canonical JSON; must be new and non-zero.
    /// @param sourceUri Where the dataset can be fetched (event only).
    /// @param validFrom Start of validity, unix seconds.
    /// @param validTo End of validity, unix seconds; must be greater than `validFrom`.
    /// @param regions Region codes, non-zero and distinct.
    /// @param gramsPerMWh Factor for each region in gCO2e/MWh (zero is allowed, e.g. a hydro-only grid).
    /// @return version The new version, sequential from 1.
    function registerDataset(
        bytes32 datasetHash,
        string calldata sourceUri,
        uint64 validFrom,
        uint64 validTo,
        bytes32[] calldata regions,
        uint32[] calldata gramsPerMWh
    ) external returns (uint32 version);

    /// @notice Whether dataset `version` covers `region`.
    function covers(uint32 version, bytes32 region) external view returns (bool);

    /// @notice The stored record of dataset `version` (reverts for an unknown version).
    function datasetOf(uint32 version) external view returns (Dataset memory);

    /// @notice The highest registered version (0 when none).
    function latestVersion() external view returns (uint32);

    /// @notice The version registered with `datasetHash` (0 when none).
    function versionOfHash(bytes32 datasetHash) external view returns (uint32);

    /// @notice The registry whose DEFAULT_ADMIN_ROLE may register datasets.
    function registry() external view returns (address);
}
