// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title IRegistry
/// @notice Access-control hub of the ESS Ledger suite: roles, stations, metering devices, capacity
/// leases and the oracle signer set. Other contracts of the suite check roles with `hasRole`.
/// @dev Descriptive metadata (external codes) lives in events; storage keeps ids and hashes.
/// Station physical parameters are immutable after registration (a rebuilt station gets a new id),
/// which lets the storage ledger cache them.
interface IRegistry is IAccessControl {
    // ------------------------------------------------------------------ types

    /// @notice Input of `registerStation`.
    /// @param operator The station operator account (receives STATION_OPERATOR_ROLE).
    /// @param ratedPowerW Rated power in W.
    /// @param capacityWh Usable energy capacity in Wh (> 0).
    /// @param roundTripEfficiencyBps Round-trip efficiency bound in basis points, 1..10000.
    /// @param region Emission-factor region, a left-aligned bytes32 string such as "CN-NW" (non-zero).
    /// @param intervalSeconds Reporting interval length; 0 selects the default 900 s.
    /// @param gridStart Origin of the interval grid (unix seconds).
    /// @param externalCode GB/T 34014 code or ISO/IEC 15459 passport id; only its keccak256 is stored.
    struct StationParams {
        address operator;
        uint64 ratedPowerW;
        uint64 capacityWh;
        uint16 roundTripEfficiencyBps;
        bytes32 region;
        uint32 intervalSeconds;
        uint64 gridStart;
        string externalCode;
    }

    /// @notice A registered station as stored (4 slots).
    struct Station {
        address operator;
        uint32 intervalSeconds;
        uint16 roundTripEfficiencyBps;
        uint64 ratedPowerW;
        uint64 capacityWh;
        uint64 gridStart;
        bytes32 region;
        bytes32 externalCodeHash;
    }

    /// @notice A metering device as stored (2 slots). kind: 0 revenue meter, 1 BMS, 2 gateway.
    struct Device {
        address signer;
        uint32 stationId;
        uint8 kind;
        bool active;
        uint16 accuracyClassBps;
        uint64 ratedPowerW;
        bytes32 externalCodeHash;
    }

    /// @notice A participant's capacity lease at a station (1 slot). Active iff leasedWh > 0 and
    /// validFrom <= t < validTo.
    struct Lease {
        uint64 leasedWh;
        uint64 validFrom;
        uint64 validTo;
    }

    // ------------------------------------------------------------------ errors

    /// @notice `account` is neither admin nor the station operator allowed to act on `stationId`.
    error RegistryNotStationOperator(address account, uint32 stationId);
    /// @notice `account` may not manage leases of `stationId` (admin, grid operator or its operator).
    error RegistryNotLeaseManager(address account, uint32 stationId);
    /// @notice A required address argument is zero.
    error RegistryZeroAddress();
    /// @notice Round-trip efficiency outside 1..10000 bps.
    error RegistryInvalidEfficiency(uint16 roundTripEfficiencyBps);
    /// @notice Station capacity is zero.
    error RegistryInvalidCapacity(uint64 capacityWh);
    /// @notice Interval length above one day.
    error RegistryInvalidInterval(uint32 intervalSeconds);
    /// @notice Region code is empty.
    error RegistryInvalidRegion(bytes32 region);
    /// @notice No station with this id.
    error RegistryUnknownStation(uint32 stationId);
    /// @notice No device with this id.
    error RegistryUnknownDevice(uint32 deviceId);
    /// @notice Device kind outside 0..2.
    error RegistryInvalidDeviceKind(uint8 kind);
    /// @notice The signer key is already bound to a device.
    error RegistrySignerInUse(address signer, uint32 deviceId);
    /// @notice The device was deactivated and cannot be changed any more.
    error RegistryDeviceInactive(uint32 deviceId);
    /// @notice Lease window is empty (validTo must be greater than validFrom).
    error RegistryInvalidLeaseWindow(uint64 validFrom, uint64 validTo);
    /// @notice Oracle set size or threshold invalid (1 <= threshold <= signers <= 255).
    error RegistryInvalidOracleSet(uint256 signerCount, uint8 threshold);
    /// @notice The oracle signer list names `signer` twice.
    error RegistryDuplicateOracle(address signer);
    /// @notice No oracle set with this version.
    error RegistryUnknownOracleVersion(uint32 version);

    // ------------------------------------------------------------------ events

    /// @notice A station was registered.
    event StationRegistered(
        uint32 indexed stationId,
        address indexed operator,
        bytes32 indexed region,
        uint64 ratedPowerW,
        uint64 capacityWh,
        uint16 roundTripEfficiencyBps,
        uint32 intervalSeconds,
        uint64 gridStart,
        string externalCode
    );
    /// @notice A device was registered.
    event DeviceRegistered(
        uint32 indexed deviceId,
        uint32 indexed stationId,
        address indexed signer,
        uint8 kind,
        uint16 accuracyClassBps,
        uint64 ratedPowerW,
        string externalCode
    );
    /// @notice A device key was rotated.
    event DeviceSignerChanged(uint32 indexed deviceId, address indexed previousSigner, address indexed newSigner);
    /// @notice A device was deactivated.
    event DeviceDeactivated(uint32 indexed deviceId, address indexed signer);
    /// @notice A lease was created or changed.
    event LeaseSet(
        uint32 indexed stationId,
        address indexed participant,
        address indexed by,
        uint64 leasedWh,
        uint64 validFrom,
        uint64 validTo
    );
    /// @notice The oracle signer set changed; reports must carry the new `configDigest`.
    event OracleSetChanged(uint32 indexed configVersion, bytes32 indexed configDigest, address[] signers, uint8 threshold);

    // ------------------------------------------------------------------ role ids

    /// @notice keccak256("GRID_OPERATOR_ROLE"): manages leases of any station.
    function GRID_OPERATOR_ROLE() external view returns (bytes32);
    /// @notice keccak256("STATION_OPERATOR_ROLE"): registers and runs its own stations.
    function STATION_OPERATOR_ROLE() external view returns (bytes32);
    /// @notice keccak256("PARTICIPANT_ROLE"): generators and consumers; granted by `setLease`.
    function PARTICIPANT_ROLE() external view returns (bytes32);
    /// @notice keccak256("ORACLE_ROLE"): oracle node accounts (the signer set itself is `setOracleSet`).
    function ORACLE_ROLE() external view returns (bytes32);
    /// @notice keccak256("VERIFIER_ROLE"): approves credit issuance.
    function VERIFIER_ROLE() external view returns (bytes32);
    /// @notice keccak256("REGULATOR_ROLE"): revokes credits, traces provenance.
    function REGULATOR_ROLE() external view returns (bytes32);
    /// @notice keccak256("LEDGER_WRITER_ROLE"): suite contracts allowed to call restricted ledger functions.
    function LEDGER_WRITER_ROLE() external view returns (bytes32);
    /// @notice keccak256("ECONOMIC_OPERATOR_ROLE"): places batteries on the market, creates and repurposes passports.
    function ECONOMIC_OPERATOR_ROLE() external view returns (bytes32);
    /// @notice keccak256("RECYCLER_ROLE"): declares a pack it holds waste (final passport status).
    function RECYCLER_ROLE() external view returns (bytes32);

    // ------------------------------------------------------------------ writes

    /// @notice Register a station. Caller: admin, or a STATION_OPERATOR_ROLE holder registering
    /// itself as `p.operator`. The operator is granted STATION_OPERATOR_ROLE.
    /// @return stationId Sequential id starting at 1.
    function registerStation(StationParams calldata p) external returns (uint32 stationId);

    /// @notice Register a metering device of `stationId`. Caller: admin or the station's operator.
    /// @param kind 0 revenue meter, 1 BMS, 2 gateway.
    /// @param signer The device's signing key (unique across devices).
    /// @param accuracyClassBps Meter accuracy class in bps (50 = class 0.5).
    /// @return deviceId Sequential id starting at 1.
    function registerDevice(
        uint32 stationId,
        uint8 kind,
        address signer,
        uint16 accuracyClassBps,
        uint64 ratedPowerW,
        string calldata externalCode
    ) external returns (uint32 deviceId);

    /// @notice Rotate the signing key of an active device. Caller: admin or the station's operator.
    function setDeviceSigner(uint32 deviceId, address newSigner) external;

    /// @notice Deactivate a device for good (its key stays bound so it cannot be reused).
    function deactivateDevice(uint32 deviceId) external;

    /// @notice Create or replace the lease of `participant` at `stationId` and grant PARTICIPANT_ROLE.
    /// Caller: admin, GRID_OPERATOR_ROLE, or the station's operator. `leasedWh = 0` ends a lease.
    /// @param validFrom Inclusive start (unix seconds).
    /// @param validTo Exclusive end (unix seconds), greater than `validFrom`.
    function setLease(uint32 stationId, address participant, uint64 leasedWh, uint64 validFrom, uint64 validTo)
        external;

    /// @notice Replace the oracle signer set (admin). Bumps the config version and derives
    /// configDigest = keccak256(abi.encode(block.chainid, address(this), version, signers, threshold)).
    function setOracleSet(address[] calldata signers, uint8 threshold) external;

    // ------------------------------------------------------------------ views

    /// @notice Number of registered stations (ids are 1..stationCount).
    function stationCount() external view returns (uint32);
    /// @notice Station by id; reverts RegistryUnknownStation.
    function stationOf(uint32 stationId) external view returns (Station memory);
    /// @notice Number of registered devices (ids are 1..deviceCount).
    function deviceCount() external view returns (uint32);
    /// @notice Device by id; reverts RegistryUnknownDevice.
    function deviceById(uint32 deviceId) external view returns (Device memory);
    /// @notice Device id bound to `signer`, 0 if none.
    function deviceOf(address signer) external view returns (uint32 deviceId);
    /// @notice Lease of `participant` at `stationId` (zeroes if never set).
    function leaseOf(uint32 stationId, address participant) external view returns (Lease memory);
    /// @notice Whether the lease is active at unix time `at`.
    function isLeaseActive(uint32 stationId, address participant, uint64 at) external view returns (bool);
    /// @notice Every participant that ever had a lease at `stationId`, in first-lease order.
    function participantsOf(uint32 stationId) external view returns (address[] memory);
    /// @notice Current oracle configuration.
    function oracleConfig() external view returns (bytes32 configDigest, uint8 threshold, uint32 version);
    /// @notice Counter bumped by every `setLease` (anywhere): a ledger that cached lease terms under
    /// an older epoch re-reads them.
    function leaseEpoch() external view returns (uint32);
    /// @notice What the storage ledger needs once per transaction (one call, two storage reads):
    /// the current oracle config and the lease epoch.
    function submissionConfig()
        external
        view
        returns (bytes32 configDigest, uint8 threshold, uint32 oracleVersion, uint32 leaseEpoch);
    /// @notice 1-based position of `signer` in the current oracle set, 0 if it is not a current oracle.
    function oracleIndex(address signer) external view returns (uint8);
    /// @notice Whether `signer` belongs to the current oracle set.
    function isOracle(address signer) external view returns (bool);
    /// @notice Signers, threshold and digest of oracle set `version` (1..current), for auditing old reports.
    function oracleSetAt(uint32 version)
        external
        view
        returns (address[] memory signers, uint8 threshold, bytes32 configDigest);
}
