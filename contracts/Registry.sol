// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title Registry
/// @notice Roles, stations, devices, leases and the oracle signer set of ESS Ledger.
/// @dev Errors, events and NatSpec live in IRegistry.
contract Registry is AccessControl, IRegistry {
    // ------------------------------------------------------------------ storage

    bytes32 public constant GRID_OPERATOR_ROLE = Roles.GRID_OPERATOR_ROLE;
    bytes32 public constant STATION_OPERATOR_ROLE = Roles.STATION_OPERATOR_ROLE;
    bytes32 public constant PARTICIPANT_ROLE = Roles.PARTICIPANT_ROLE;
    bytes32 public constant ORACLE_ROLE = Roles.ORACLE_ROLE;
    bytes32 public constant VERIFIER_ROLE = Roles.VERIFIER_ROLE;
    bytes32 public constant REGULATOR_ROLE = Roles.REGULATOR_ROLE;
    bytes32 public constant LEDGER_WRITER_ROLE = Roles.LEDGER_WRITER_ROLE;
    bytes32 public constant ECONOMIC_OPERATOR_ROLE = Roles.ECONOMIC_OPERATOR_ROLE;
    bytes32 public constant RECYCLER_ROLE = Roles.RECYCLER_ROLE;

    uint32 private constant DEFAULT_INTERVAL_SECONDS = 900;
    uint32 private constant MAX_INTERVAL_SECONDS = 86_400;
    uint8 private constant MAX_DEVICE_KIND = 2;

    /// @dev Membership of the current oracle set: the version it was last listed in and its
    /// 1-based index there. One slot per signer, so the ledger pays one cold read per signer.
    struct OracleSlot {
        uint32 version;
        uint8 index;
    }

    /// @dev A past or current oracle set, kept for auditing old reports.
    struct OracleSet {
        address[] signers;
        uint8 threshold;
        bytes32 configDigest;
    }

    uint32 private _stationCount;
    uint32 private _deviceCount;
    uint32 private _oracleVersion;
    uint8 private _oracleThreshold;
    /// @dev Bumped by every setLease (same slot as the oracle version, so the ledger reads both
    /// with one SLOAD and revalidates its cached lease terms only when some lease changed).
    uint32 private _leaseEpoch;
    bytes32 private _configDigest;

    mapping(uint32 stationId => Station) private _stations;
    mapping(uint32 deviceId => Device) private _devices;
    mapping(address signer => uint32 deviceId) private _deviceOfSigner;
    mapping(uint32 stationId => mapping(address participant => Lease)) private _leases;
    mapping(uint32 stationId => address[]) private _participants;
    mapping(address signer => OracleSlot) private _oracleSlots;
    mapping(uint32 version => OracleSet) private _oracleSets;

    constructor(address admin) {
        if (admin == address(0)) revert RegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ internal

    function _isAdmin(address account) internal view returns (bool) {
        return hasRole(DEFAULT_ADMIN_ROLE, account);
    }

    function _requireStation(uint32 stationId) internal view returns (Station storage s) {
        s = _stations[stationId];
        if (s.capacityWh == 0) revert RegistryUnknownStation(stationId);
    }

    function _requireDevice(uint32 deviceId) internal view returns (Device storage d) {
        d = _devices[deviceId];
        if (d.signer == address(0)) revert RegistryUnknownDevice(deviceId);
    }

    /// @dev Admin, or the station's own operator that still holds STATION_OPERATOR_ROLE.
    function _requireStationOperator(uint32 stationId) internal view {
        Station storage s = _requireStation(stationId);
        if (_isAdmin(msg.sender)) return;
        if (s.operator != msg.sender || !hasRole(STATION_OPERATOR_ROLE, msg.sender)) {
            revert RegistryNotStationOperator(msg.sender, stationId);
        }
    }

    function _storeStation(StationParams calldata p, uint32 intervalSeconds) internal returns (uint32 stationId) {
        // Cannot overflow in practice: 2^32 - 1 stations would cost far more gas than exists.
        stationId = ++_stationCount;
        _stations[stationId] = Station({
            operator: p.operator,
            intervalSeconds: intervalSeconds,
            roundTripEfficiencyBps: p.roundTripEfficiencyBps,
            ratedPowerW: p.ratedPowerW,
            capacityWh: p.capacityWh,
            gridStart: p.gridStart,
            region: p.region,
            externalCodeHash: keccak256(bytes(p.externalCode))
        });
        emit StationRegistered(
            stationId,
            p.operator,
            p.region,
            p.ratedPowerW,
            p.capacityWh,
            p.roundTripEfficiencyBps,
            intervalSeconds,
            p.gridStart,
            p.externalCode
        );
    }

    function _storeDevice(
        uint32 stationId,
        uint8 kind,
        address signer,
        uint16 accuracyClassBps,
        uint64 ratedPowerW,
        string calldata externalCode
    ) internal returns (uint32 deviceId) {
        deviceId = ++_deviceCount;
        _devices[deviceId] = Device({
            signer: signer,
            stationId: stationId,
            kind: kind,
            active: true,
            accuracyClassBps: accuracyClassBps,
            ratedPowerW: ratedPowerW,
            externalCodeHash: keccak256(bytes(externalCode))
        });
        _deviceOfSigner[signer] = deviceId;
        emit DeviceRegistered(deviceId, stationId, signer, kind, accuracyClassBps, ratedPowerW, externalCode);
    }

    function _changeDeviceSigner(uint32 deviceId, Device storage d, address newSigner) internal {
        address previous = d.signer;
        delete _deviceOfSigner[previous];
        d.signer = newSigner;
        _deviceOfSigner[newSigner] = deviceId;
        emit DeviceSignerChanged(deviceId, previous, newSigner);
    }

    function _deactivateDevice(uint32 deviceId, Device storage d) internal {
        d.active = false;
        emit DeviceDeactivated(deviceId, d.signer);
    }

    function _storeLease(uint32 stationId, address participant, uint64 leasedWh, uint64 validFrom, uint64 validTo)
        internal
    {
        Lease storage l = _leases[stationId][participant];
        // validTo > validFrom >= 0 for every stored lease, so validTo == 0 means "never leased".
        if (l.validTo == 0) _participants[stationId].push(participant);
        l.leasedWh = leasedWh;
        l.validFrom = validFrom;
        l.validTo = validTo;
        // One increment per setLease transaction; 2^32 lease changes are out of reach.
        unchecked {
            ++_leaseEpoch;
        }
        emit LeaseSet(stationId, participant, msg.sender, leasedWh, validFrom, validTo);
    }

    function _storeOracleSet(address[] calldata signers, uint8 threshold) internal {
        uint32 version = _oracleVersion + 1;
        uint256 n = signers.length;
        for (uint256 i; i < n; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert RegistryZeroAddress();
            if (_oracleSlots[signer].version == version) revert RegistryDuplicateOracle(signer);
            // i < n <= 255, so i + 1 fits in uint8.
            _oracleSlots[signer] = OracleSlot({version: version, index: uint8(i + 1)});
        }
        bytes32 digest = keccak256(abi.encode(block.chainid, address(this), version, signers, threshold));
        _oracleVersion = version;
        _oracleThreshold = threshold;
        _configDigest = digest;
        OracleSet storage set = _oracleSets[version];
        set.signers = signers;
        set.threshold = threshold;
        set.configDigest = digest;
        emit OracleSetChanged(version, digest, signers, threshold);
    }

    // ------------------------------------------------------------------ external writes

    /// @inheritdoc IRegistry
    function registerStation(StationParams calldata p) external returns (uint32 stationId) {
        if (!_isAdmin(msg.sender)) {
            if (!hasRole(STATION_OPERATOR_ROLE, msg.sender) || p.operator != msg.sender) {
                revert RegistryNotStationOperator(msg.sender, 0);
            }
        }
        if (p.operator == address(0)) revert RegistryZeroAddress();
        if (p.capacityWh == 0) revert RegistryInvalidCapacity(p.capacityWh);
        if (p.roundTripEfficiencyBps == 0 || p.roundTripEfficiencyBps > 10_000) {
            revert RegistryInvalidEfficiency(p.roundTripEfficiencyBps);
        }
        if (p.region == bytes32(0)) revert RegistryInvalidRegion(p.region);
        uint32 intervalSeconds = p.intervalSeconds == 0 ? DEFAULT_INTERVAL_SECONDS : p.intervalSeconds;
        if (intervalSeconds > MAX_INTERVAL_SECONDS) revert RegistryInvalidInterval(intervalSeconds);
        stationId = _storeStation(p, intervalSeconds);
        _grantRole(STATION_OPERATOR_ROLE, p.operator);
    }

    /// @inheritdoc IRegistry
    function registerDevice(
        uint32 stationId,
        uint8 kind,
        address signer,
        uint16 accuracyClassBps,
        uint64 ratedPowerW,
        string calldata externalCode
    ) external returns (uint32 deviceId) {
        _requireStationOperator(stationId);
        if (kind > MAX_DEVICE_KIND) revert RegistryInvalidDeviceKind(kind);
        if (signer == address(0)) revert RegistryZeroAddress();
        uint32 existing = _deviceOfSigner[signer];
        if (existing != 0) revert RegistrySignerInUse(signer, existing);
        deviceId = _storeDevice(stationId, kind, signer, accuracyClassBps, ratedPowerW, externalCode);
    }

    /// @inheritdoc IRegistry
    function setDeviceSigner(uint32 deviceId, address newSigner) external {
        Device storage d = _requireDevice(deviceId);
        _requireStationOperator(d.stationId);
        if (!d.active) revert RegistryDeviceInactive(deviceId);
        if (newSigner == address(0)) revert RegistryZeroAddress();
        uint32 existing = _deviceOfSigner[newSigner];
        if (existing != 0) revert RegistrySignerInUse(newSigner, existing);
        _changeDeviceSigner(deviceId, d, newSigner);
    }

    /// @inheritdoc IRegistry
    function deactivateDevice(uint32 deviceId) external {
        Device storage d = _requireDevice(deviceId);
        _requireStationOperator(d.stationId);
        if (!d.active) revert RegistryDeviceInactive(deviceId);
        _deactivateDevice(deviceId, d);
    }

    /// @inheritdoc IRegistry
    function setLease(uint32 stationId, address participant, uint64 leasedWh, uint64 validFrom, uint64 validTo)
        external
    {
        Station storage s = _requireStation(stationId);
        if (
            !_isAdmin(msg.sender) && !hasRole(GRID_OPERATOR_ROLE, msg.sender)
                && !(s.operator == msg.sender && hasRole(STATION_OPERATOR_ROLE, msg.sender))
        ) revert RegistryNotLeaseManager(msg.sender, stationId);
        if (participant == address(0)) revert RegistryZeroAddress();
        if (validTo <= validFrom) revert RegistryInvalidLeaseWindow(validFrom, validTo);
        _storeLease(stationId, participant, leasedWh, validFrom, validTo);
        _grantRole(PARTICIPANT_ROLE, participant);
    }

    /// @inheritdoc IRegistry
    function setOracleSet(address[] calldata signers, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (threshold == 0 || signers.length < threshold || signers.length > type(uint8).max) {
            revert RegistryInvalidOracleSet(signers.length, threshold);
        }
        _storeOracleSet(signers, threshold);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRegistry
    function stationCount() external view returns (uint32) {
        return _stationCount;
    }

    /// @inheritdoc IRegistry
    function stationOf(uint32 stationId) external view returns (Station memory) {
        return _requireStation(stationId);
    }

    /// @inheritdoc IRegistry
    function deviceCount() external view returns (uint32) {
        return _deviceCount;
    }

    /// @inheritdoc IRegistry
    function deviceById(uint32 deviceId) external view returns (Device memory) {
        return _requireDevice(deviceId);
    }

    /// @inheritdoc IRegistry
    function deviceOf(address signer) external view returns (uint32 deviceId) {
        return _deviceOfSigner[signer];
    }

    /// @inheritdoc IRegistry
    function leaseOf(uint32 stationId, address participant) external view returns (Lease memory) {
        return _leases[stationId][participant];
    }

    /// @inheritdoc IRegistry
    function isLeaseActive(uint32 stationId, address participant, uint64 at) external view returns (bool) {
        Lease storage l = _leases[stationId][participant];
        return l.leasedWh != 0 && l.validFrom <= at && at < l.validTo;
    }

    /// @inheritdoc IRegistry
    function participantsOf(uint32 stationId) external view returns (address[] memory) {
        return _participants[stationId];
    }

    /// @inheritdoc IRegistry
    function oracleConfig() external view returns (bytes32 configDigest, uint8 threshold, uint32 version) {
        return (_configDigest, _oracleThreshold, _oracleVersion);
    }

    /// @inheritdoc IRegistry
    function leaseEpoch() external view returns (uint32) {
        return _leaseEpoch;
    }

    /// @inheritdoc IRegistry
    function submissionConfig()
        external
        view
        returns (bytes32 configDigest, uint8 threshold, uint32 oracleVersion, uint32 leaseEpoch_)
    {
        return (_configDigest, _oracleThreshold, _oracleVersion, _leaseEpoch);
    }

    /// @inheritdoc IRegistry
    function oracleIndex(address signer) public view returns (uint8) {
        OracleSlot memory slot = _oracleSlots[signer];
        return slot.version != 0 && slot.version == _oracleVersion ? slot.index : 0;
    }

    /// @inheritdoc IRegistry
    function isOracle(address signer) external view returns (bool) {
        return oracleIndex(signer) != 0;
    }

    /// @inheritdoc IRegistry
    function oracleSetAt(uint32 version)
        external
        view
        returns (address[] memory signers, uint8 threshold, bytes32 configDigest)
    {
        if (version == 0 || version > _oracleVersion) revert RegistryUnknownOracleVersion(version);
        OracleSet storage set = _oracleSets[version];
        return (set.signers, set.threshold, set.configDigest);
    }
}
