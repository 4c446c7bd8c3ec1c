// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEmissionFactors} from "./interfaces/IEmissionFactors.sol";
import {IEmissionFactorRegistry} from "./interfaces/IEmissionFactorRegistry.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {Roles} from "./libraries/Roles.sol";
import {RegistryRoles} from "./base/RegistryRoles.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title EmissionFactors
/// @notice Versioned, append-only grid emission factors. Storage keeps the dataset hash and the
/// factor per (version, region); the source URI and the full table travel in `DatasetRegistered`.
contract EmissionFactors is IEmissionFactorRegistry, RegistryRoles {
    // ---------------------------------------------------------------- storage


    /// @dev One factor cell; `set` distinguishes a registered zero factor from "not covered".
    struct Factor {
        uint32 gramsPerMWh;
        bool set;
    }

    IRegistry private immutable _registry;
    uint32 private _latestVersion;
    mapping(uint32 version => Dataset) private _datasets;
    mapping(bytes32 datasetHash => uint32 version) private _versionOfHash;
    mapping(uint32 version => mapping(bytes32 region => Factor)) private _factors;
    mapping(bytes32 region => uint32 version) private _currentVersion;

    constructor(IRegistry registry_) {
        _registry = registry_;
    }

    function _roleRegistry() internal view override returns (IAccessControl) {
        return _registry;
    }

    // ---------------------------------------------------------------- internal

    function _registerDataset(
        bytes32 datasetHash,
        string calldata sourceUri,
        uint64 validFrom,
        uint64 validTo,
        bytes32[] calldata regions,
        uint32[] calldata gramsPerMWh
    ) internal returns (uint32 version) {
        if (datasetHash == bytes32(0)) revert EmissionFactorsZeroHash();
        uint32 existing = _versionOfHash[datasetHash];
        if (existing != 0) revert EmissionFactorsDatasetExists(datasetHash, existing);
        if (regions.length != gramsPerMWh.length) {
            revert EmissionFactorsLengthMismatch(regions.length, gramsPerMWh.length);
        }
        if (regions.length == 0) revert EmissionFactorsEmptyDataset();
        if (validFrom >= validTo) revert EmissionFactorsInvalidPeriod(validFrom, validTo);

        version = _latestVersion + 1; // checked: 2^32 datasets cannot be registered in practice
        _latestVersion = version;
        _versionOfHash[datasetHash] = version;
        _datasets[version] = Dataset({
            datasetHash: datasetHash,
            validFrom: validFrom,
            validTo: validTo,
            regionCount: uint32(regions.length), // a calldata array of 2^32 entries cannot fit in a block
            registeredAt: uint64(block.timestamp)
        });
        mapping(bytes32 => Factor) storage table = _factors[version];
        for (uint256 i; i < regions.length;) {
            bytes32 region = regions[i];
            if (region == bytes32(0)) revert EmissionFactorsZeroRegion(i);
            if (table[region].set) revert EmissionFactorsDuplicateRegion(region);
            table[region] = Factor({gramsPerMWh: gramsPerMWh[i], set: true});
            _currentVersion[region] = version; // versions only grow, so the newest always wins
            unchecked {
                ++i; // bounded by regions.length
            }
        }
        emit DatasetRegistered(version, datasetHash, sourceUri, validFrom, validTo, regions, gramsPerMWh);
    }

    // ---------------------------------------------------------------- external writes

    /// @inheritdoc IEmissionFactorRegistry
    function registerDataset(
        bytes32 datasetHash,
        string calldata sourceUri,
        uint64 validFrom,
        uint64 validTo,
        bytes32[] calldata regions,
        uint32[] calldata gramsPerMWh
    ) external returns (uint32 version) {
        _checkRegistryRole(Roles.DEFAULT_ADMIN_ROLE);
        return _registerDataset(datasetHash, sourceUri, validFrom, validTo, regions, gramsPerMWh);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IEmissionFactors
    function currentFactor(bytes32 region) external view returns (uint32 version, uint32 gramsPerMWh) {
        version = _currentVersion[region];
        if (version == 0) revert EmissionFactorsUnknownRegion(region);
        gramsPerMWh = _factors[version][region].gramsPerMWh;
    }

    /// @inheritdoc IEmissionFactors
    function factorAt(uint32 version, bytes32 region) external view returns (uint32 gramsPerMWh) {
        if (version == 0 || version > _latestVersion) revert EmissionFactorsUnknownVersion(version);
        Factor memory factor = _factors[version][region];
        if (!factor.set) revert EmissionFactorsRegionNotInVersion(version, region);
        return factor.gramsPerMWh;
    }

    /// @inheritdoc IEmissionFactorRegistry
    function covers(uint32 version, bytes32 region) external view returns (bool) {
        return _factors[version][region].set;
    }

    /// @inheritdoc IEmissionFactorRegistry
    function datasetOf(uint32 version) external view returns (Dataset memory) {
        if (version == 0 || version > _latestVersion) revert EmissionFactorsUnknownVersion(version);
        return _datasets[version];
    }

    /// @inheritdoc IEmissionFactorRegistry
    function latestVersion() external view returns (uint32) {
        return _latestVersion;
    }

    /// @inheritdoc IEmissionFactorRegistry
    function versionOfHash(bytes32 datasetHash) external view returns (uint32) {
        return _versionOfHash[datasetHash];
    }

    /// @inheritdoc IEmissionFactorRegistry
    function registry() external view returns (address) {
        return address(_registry);
    }
}
