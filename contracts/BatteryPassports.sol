// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {RegistryRoles} from "./base/RegistryRoles.sol";
import {CalldataECDSA} from "./libraries/CalldataECDSA.sol";
import {Roles} from "./libraries/Roles.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IBatteryPassports} from "./interfaces/IBatteryPassports.sol";

/// @title BatteryPassports
/// @notice Battery passports, second life and oracle-signed daily health snapshots. Errors, events,
/// types, the status machine and the EIP-712 types are documented in IBatteryPassports.
/// @dev Per passport one "live" word holds everything a snapshot reads and writes (status, flags,
/// installation, latest health), so a snapshot costs one cold read and one write; owner, holder,
/// parameter hash, code hash and links sit in their own slots (written rarely).
contract BatteryPassports is EIP712, RegistryRoles, IBatteryPassports {
    // ------------------------------------------------------------------ storage

    bytes32 private constant SNAPSHOT_TYPEHASH = keccak256(
        "Snapshot(bytes32 passport,uint32 day,uint32 deviceId,bytes32 telemetryRoot,uint32 readingCount,bytes32 configDigest,uint16 sohBps,uint32 cycleCount,uint64 chargedWhTotal,uint64 dischargedWhTotal,uint16 efficiencyBps,uint32 resistanceMicroOhm,uint16 cellMinMilliVolts,uint16 cellMaxMilliVolts,int16 tempMinDeciC,int16 tempMaxDeciC,uint32 extremeTempSeconds,uint16 deepDischargeEvents,uint16 overchargeEvents,uint16 overTempEvents)"
    );
    bytes32 private constant BATCH_TYPEHASH = keccak256(
        "SnapshotBatch(Snapshot[] snapshots)Snapshot(bytes32 passport,uint32 day,uint32 deviceId,bytes32 telemetryRoot,uint32 readingCount,bytes32 configDigest,uint16 sohBps,uint32 cycleCount,uint64 chargedWhTotal,uint64 dischargedWhTotal,uint16 efficiencyBps,uint32 resistanceMicroOhm,uint16 cellMinMilliVolts,uint16 cellMaxMilliVolts,int16 tempMinDeciC,int16 tempMaxDeciC,uint32 extremeTempSeconds,uint16 deepDischargeEvents,uint16 overchargeEvents,uint16 overTempEvents)"
    );
    uint8 private constant MAX_CATEGORY = 3;
    uint8 private constant DEVICE_KIND_BMS = 1;
    uint16 private constant BPS = 10_000;
    /// @dev SOH may rise this much between snapshots (BMS estimation noise, calibration after a
    /// full charge) without a recorded repair: 1 percentage point.
    uint16 private constant SOH_TOLERANCE_BPS = 100;
    uint64 private constant MAX_COUNTER_WH = type(uint48).max;
    uint256 private constant FLAG_CLOSED = 1 << 8;
    uint256 private constant FLAG_REPAIR = 1 << 9;
    /// @dev Bits [0,80) of the live word: status, flags, station, device (kept by a snapshot).
    uint256 private constant LOW80 = (1 << 80) - 1;
    /// @dev SnapshotAnchored.record length (layout in IBatteryPassports).
    uint256 private constant RECORD_BYTES = 118;

    IRegistry private immutable _registry;

    /// @dev status u8 [0,8) | flags u8 [8,16) (closed, repair pending) | stationId u32 [16,48) |
    /// bmsDevice u32 [48,80) | lastDay u32 [80,112) | sohBps u16 [112,128) | cycleCount u32
    /// [128,160) | chargedWhTotal u48 [160,208) | dischargedWhTotal u48 [208,256).
    mapping(bytes32 passport => uint256) private _live;
    mapping(bytes32 passport => address) private _owners;
    /// @dev Zero while the owner holds the pack.
    mapping(bytes32 passport => address) private _holders;
    mapping(bytes32 passport => bytes32) private _paramsHashes;
    mapping(bytes32 passport => bytes32) private _codeHashes;
    mapping(bytes32 passport => bytes32) private _predecessors;
    mapping(bytes32 passport => bytes32) private _successors;
    /// @dev recycler [0,160) | wastedAt u64 [160,224).
    mapping(bytes32 passport => uint256) private _waste;
    mapping(bytes32 gbtCodeHash => bytes32) private _byCode;
    mapping(uint32 deviceId => bytes32) private _byDevice;
    /// @dev keccak256(oracle-set version, ascending signers) => 1 once each signer was confirmed a
    /// current oracle under that version (one read instead of one registry call per signer).
    mapping(bytes32 setKey => uint256) private _oracleSetSeen;

    constructor(IRegistry registry_) EIP712("ESSLedger Passports", "1") {
        if (address(registry_) == address(0)) revert BatteryPassportsZeroAddress();
        _registry = registry_;
    }

    // ------------------------------------------------------------------ internal

    function _roleRegistry() internal view override returns (IAccessControl) {
        return IAccessControl(address(_registry));
    }

    /// @dev The live word of an existing, open, non-waste passport.
    function _requireOpen(bytes32 passport) internal view returns (uint256 w) {
        w = _live[passport];
        if (w == 0) revert BatteryPassportsUnknown(passport);
        if (w & FLAG_CLOSED != 0) revert BatteryPassportsClosed(passport, _successors[passport]);
        if (Status(uint8(w)) == Status.Waste) revert BatteryPassportsIsWaste(passport);
    }

    function _requireOwner(bytes32 passport) internal view {
        address owner = _owners[passport];
        if (owner != msg.sender) revert BatteryPassportsNotOwner(passport, msg.sender, owner);
    }

    function _holderOf(bytes32 passport) internal view returns (address holder) {
        holder = _holders[passport];
        if (holder == address(0)) holder = _owners[passport];
    }

    function _requireHolderOrOwner(bytes32 passport) internal view returns (address holder) {
        holder = _holderOf(passport);
        if (msg.sender != holder && msg.sender != _owners[passport]) {
            revert BatteryPassportsNotHolder(passport, msg.sender, holder);
        }
    }

    function _requireNotInstalled(bytes32 passport, uint256 w) internal pure {
        uint32 stationId = uint32(w >> 16);
        if (stationId != 0) revert BatteryPassportsInstalled(passport, stationId);
    }

    function _stationOperator(uint32 stationId) internal view returns (address) {
        if (stationId == 0 || stationId > _registry.stationCount()) {
            revert BatteryPassportsNotStationOperator(msg.sender, stationId);
        }
        return _registry.stationOf(stationId).operator;
    }

    function _setStatus(bytes32 passport, uint256 w, Status status) internal {
        _live[passport] = (w & ~uint256(0xff)) | uint256(status);
        emit StatusChanged(passport, Status(uint8(w)), status, msg.sender);
    }

    function _store(PassportParams calldata p, Status status, bytes32 predecessor) internal returns (bytes32 passport) {
        if (bytes(p.passportId).length == 0 || bytes(p.gbtCode).length == 0) revert BatteryPassportsEmptyIdentifier();
        if (p.category > MAX_CATEGORY) revert BatteryPassportsInvalidCategory(p.category);
        if (p.ratedCapacityWh == 0) revert BatteryPassportsZeroCapacity();
        if (p.owner == address(0)) revert BatteryPassportsZeroAddress();
        passport = keccak256(bytes(p.passportId));
        if (_live[passport] != 0) revert BatteryPassportsExists(passport);
        bytes32 codeHash = keccak256(bytes(p.gbtCode));
        bytes32 user = _byCode[codeHash];
        if (user != bytes32(0)) revert BatteryPassportsCodeInUse(codeHash, user);
        bytes32 paramsHash = keccak256(abi.encode(p));
        _live[passport] = uint256(status);
        _owners[passport] = p.owner;
        _paramsHashes[passport] = paramsHash;
        _codeHashes[passport] = codeHash;
        _byCode[codeHash] = passport;
        if (predecessor != bytes32(0)) _predecessors[passport] = predecessor;
        emit PassportCreated(passport, p.owner, predecessor, status, msg.sender, paramsHash, p);
    }

    /// @dev Repurpose / remanufacture: a new passport linked to `predecessor`, which is closed.
    function _succeed(bytes32 predecessor, PassportParams calldata p, Status status) internal returns (bytes32 passport) {
        _checkRegistryRole(Roles.ECONOMIC_OPERATOR_ROLE);
        uint256 w = _requireOpen(predecessor);
        _requireOwner(predecessor);
        _requireNotInstalled(predecessor, w);
        passport = _store(p, status, predecessor);
        _live[predecessor] = w | FLAG_CLOSED;
        _successors[predecessor] = passport;
        emit PassportSuperseded(predecessor, passport, status, msg.sender);
    }

    function _setCustody(bytes32 passport, address newOwner, address newHolder) internal {
        address previousOwner = _owners[passport];
        address previousHolder = _holderOf(passport);
        _owners[passport] = newOwner;
        _holders[passport] = newHolder == newOwner ? address(0) : newHolder;
        emit CustodyChanged(passport, newOwner, newHolder, previousOwner, previousHolder, msg.sender);
    }

    /// @dev hashStruct(Snapshot) = keccak256(typehash || the 20 static words of `s`), which in
    /// calldata are laid out exactly as EIP-712 encodes them: one calldatacopy instead of the ABI
    /// re-encoding (about 1 000 gas less per snapshot). Dirty upper bits in a word change the
    /// digest (no oracle signed it), and the checks in _anchor read every field they use through
    /// the ABI decoder, which reverts on them. Scratch memory past the free pointer only.
    function _hashSnapshot(Snapshot calldata s) internal pure returns (bytes32 h) {
        bytes32 typehash = SNAPSHOT_TYPEHASH;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, typehash)
            calldatacopy(add(buf, 0x20), s, 0x280)
            h := keccak256(buf, 0x2a0)
        }
    }

    function _hashBatch(Snapshot[] calldata snapshots) internal pure returns (bytes32) {
        uint256 n = snapshots.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = _hashSnapshot(snapshots[i]);
        }
        return keccak256(abi.encode(BATCH_TYPEHASH, keccak256(abi.encodePacked(hashes))));
    }

    /// @dev The registry's current oracle config; `signatures` is r ‖ s ‖ v of each signer, 65
    /// bytes apiece, concatenated (no per-signature offset and length words in calldata). Each
    /// recovered (OpenZeppelin 5.0.2 rules), strictly ascending, a current oracle, at least
    /// `threshold` of them. A signer set confirmed under the current version is remembered
    /// (keccak256(version ‖ signers), hashed in scratch memory as it is recovered), so the
    /// steady state costs one storage read for membership.
    function _verifySigners(bytes32 digest, bytes calldata signatures) internal returns (bytes32 configDigest) {
        uint8 threshold;
        uint32 version;
        (configDigest, threshold, version) = _registry.oracleConfig();
        uint256 len = signatures.length;
        uint256 n = len / 65;
        if (len != n * 65) revert BatteryPassportsSignatureInvalid(n, uint8(ECDSA.RecoverError.InvalidSignatureLength));
        if (n < threshold) revert BatteryPassportsQuorumNotReached(n, threshold);
        // buf: the version word, then one word per signer; allocated (free pointer moved past
        // it), so the recovery's scratch and the registry calls below leave it intact.
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, shl(5, add(n, 1))))
            mstore(buf, version)
        }
        address previous;
        for (uint256 i; i < n; ++i) {
            uint256 at = i * 65;
            (address signer, uint256 err) = CalldataECDSA.tryRecover(digest, signatures[at:at + 65]);
            if (err != 0) revert BatteryPassportsSignatureInvalid(i, uint8(err)); // err <= 3
            if (signer <= previous) revert BatteryPassportsSignersNotAscending(previous, signer);
            assembly ("memory-safe") {
                mstore(add(buf, shl(5, add(i, 1))), signer)
            }
            previous = signer;
        }
        bytes32 setKey;
        assembly ("memory-safe") {
            setKey := keccak256(buf, shl(5, add(n, 1)))
        }
        if (_oracleSetSeen[setKey] != 0) return configDigest;
        for (uint256 i; i < n; ++i) {
            address signer;
            assembly ("memory-safe") {
                signer := mload(add(buf, shl(5, add(i, 1))))
            }
            if (_registry.oracleIndex(signer) == 0) revert BatteryPassportsSignerNotOracle(signer);
        }
        _oracleSetSeen[setKey] = 1;
    }

    /// @dev SnapshotAnchored.record (layout in IBatteryPassports): each field's low bytes, in
    /// field order, left-aligned and stored in turn (the next field overwrites the tail), so 18
    /// stores at constant offsets. Reads the 20 static words of `s` from calldata (bounds checked
    /// by the ABI decoder); writes only the new bytes array (allocated here, free pointer moved
    /// past it), hence memory-safe. A field with dirty upper bits would be truncated, but such a
    /// snapshot could carry no oracle signatures (its digest differs).
    function _record(Snapshot calldata s) internal pure returns (bytes memory record) {
        record = new bytes(RECORD_BYTES);
        assembly ("memory-safe") {
            let out := add(record, 0x20)
            mstore(add(out, 0), shl(224, calldataload(add(s, 0x40)))) // deviceId
            mstore(add(out, 4), calldataload(add(s, 0x60))) // telemetryRoot
            mstore(add(out, 36), shl(224, calldataload(add(s, 0x80)))) // readingCount
            mstore(add(out, 40), calldataload(add(s, 0xa0))) // configDigest
            mstore(add(out, 72), shl(240, calldataload(add(s, 0xc0)))) // sohBps
            mstore(add(out, 74), shl(224, calldataload(add(s, 0xe0)))) // cycleCount
            mstore(add(out, 78), shl(192, calldataload(add(s, 0x100)))) // chargedWhTotal
            mstore(add(out, 86), shl(192, calldataload(add(s, 0x120)))) // dischargedWhTotal
            mstore(add(out, 94), shl(240, calldataload(add(s, 0x140)))) // efficiencyBps
            mstore(add(out, 96), shl(224, calldataload(add(s, 0x160)))) // resistanceMicroOhm
            mstore(add(out, 100), shl(240, calldataload(add(s, 0x180)))) // cellMinMilliVolts
            mstore(add(out, 102), shl(240, calldataload(add(s, 0x1a0)))) // cellMaxMilliVolts
            mstore(add(out, 104), shl(240, calldataload(add(s, 0x1c0)))) // tempMinDeciC
            mstore(add(out, 106), shl(240, calldataload(add(s, 0x1e0)))) // tempMaxDeciC
            mstore(add(out, 108), shl(224, calldataload(add(s, 0x200)))) // extremeTempSeconds
            mstore(add(out, 112), shl(240, calldataload(add(s, 0x220)))) // deepDischargeEvents
            mstore(add(out, 114), shl(240, calldataload(add(s, 0x240)))) // overchargeEvents
            mstore(add(out, 116), shl(240, calldataload(add(s, 0x260)))) // overTempEvents
            // zero the padding after the 118 bytes (the last field's word wrote past them)
            mstore(add(out, 118), 0)
        }
    }

    /// @dev Check one snapshot against the passport's live word and store the new health state.
    function _anchor(Snapshot calldata s, bytes32 configDigest, bytes32 digest) internal {
        if (s.configDigest != configDigest) revert BatteryPassportsConfigDigestMismatch(configDigest, s.configDigest);
        bytes32 passport = s.passport;
        uint256 w = _advance(passport, _requireOpen(passport), s);
        _live[passport] = w;
        emit SnapshotAnchored(passport, uint32(w >> 80), digest, _record(s));
    }

    /// @dev The live word after snapshot `s`, or the revert naming the rule it breaks. Each
    /// field is read once through the ABI decoder (which reverts on dirty upper bits); the new
    /// word keeps status, flags (repair pending cleared), station and device.
    function _advance(bytes32 passport, uint256 w, Snapshot calldata s) internal pure returns (uint256 next) {
        uint32 lastDay = uint32(w >> 80);
        {
            uint32 device = uint32(w >> 48);
            if (device == 0) revert BatteryPassportsNotInstalled(passport);
            uint32 reported = s.deviceId;
            if (device != reported) revert BatteryPassportsWrongDevice(passport, device, reported);
            uint32 day = s.day;
            if (day <= lastDay) revert BatteryPassportsSnapshotNotAfter(passport, day, lastDay);
            next = (w & LOW80 & ~FLAG_REPAIR) | (uint256(day) << 80);
        }
        {
            uint16 soh = s.sohBps;
            if (soh > BPS) revert BatteryPassportsSohOutOfRange(passport, soh);
            uint16 previous = uint16(w >> 112);
            // previous <= 10000, so the sum cannot overflow uint16 (max 10100).
            if (lastDay != 0 && w & FLAG_REPAIR == 0 && soh > previous + SOH_TOLERANCE_BPS) {
                revert BatteryPassportsSohRose(passport, previous, soh, SOH_TOLERANCE_BPS);
            }
            next |= uint256(soh) << 112;
        }
        {
            uint32 cycles = s.cycleCount;
            uint32 previous = uint32(w >> 128);
            if (cycles < previous) revert BatteryPassportsCycleCountDecreased(passport, previous, cycles);
            next |= uint256(cycles) << 128;
        }
        {
            uint64 charged = s.chargedWhTotal;
            _checkCounter(passport, uint64(uint48(w >> 160)), charged);
            uint64 discharged = s.dischargedWhTotal;
            _checkCounter(passport, uint64(uint48(w >> 208)), discharged);
            next |= (uint256(charged) << 160) | (uint256(discharged) << 208);
        }
    }

    function _checkCounter(bytes32 passport, uint64 previous, uint64 reported) internal pure {
        if (reported > MAX_COUNTER_WH) revert BatteryPassportsCounterTooLarge(passport, reported, MAX_COUNTER_WH);
        if (reported < previous) revert BatteryPassportsThroughputDecreased(passport, previous, reported);
    }

    // ------------------------------------------------------------------ external writes

    /// @inheritdoc IBatteryPassports
    function create(PassportParams calldata p) external returns (bytes32 passport) {
        _checkRegistryRole(Roles.ECONOMIC_OPERATOR_ROLE);
        passport = _store(p, Status.Original, bytes32(0));
    }

    /// @inheritdoc IBatteryPassports
    function repurpose(bytes32 predecessor, PassportParams calldata p) external returns (bytes32 passport) {
        passport = _succeed(predecessor, p, Status.Repurposed);
    }

    /// @inheritdoc IBatteryPassports
    function remanufacture(bytes32 predecessor, PassportParams calldata p) external returns (bytes32 passport) {
        passport = _succeed(predecessor, p, Status.Remanufactured);
    }

    /// @inheritdoc IBatteryPassports
    function setStatus(bytes32 passport, Status status) external {
        _checkRegistryRole(Roles.ECONOMIC_OPERATOR_ROLE);
        uint256 w = _requireOpen(passport);
        _requireOwner(passport);
        Status current = Status(uint8(w));
        if (status != Status.Reused || current == Status.Reused) {
            revert BatteryPassportsInvalidTransition(passport, current, status);
        }
        _setStatus(passport, w, status);
    }

    /// @inheritdoc IBatteryPassports
    function transfer(bytes32 passport, address newOwner, address newHolder) external {
        _requireOpen(passport);
        _requireOwner(passport);
        if (newOwner == address(0)) revert BatteryPassportsZeroAddress();
        _setCustody(passport, newOwner, newHolder == address(0) ? newOwner : newHolder);
    }

    /// @inheritdoc IBatteryPassports
    function handOver(bytes32 passport, address newHolder) external {
        _requireOpen(passport);
        _requireHolderOrOwner(passport);
        if (newHolder == address(0)) revert BatteryPassportsZeroAddress();
        _setCustody(passport, _owners[passport], newHolder);
    }

    /// @inheritdoc IBatteryPassports
    function install(bytes32 passport, uint32 stationId, uint32 bmsDevice) external {
        uint256 w = _requireOpen(passport);
        address holder = _holderOf(passport);
        if (msg.sender != holder) revert BatteryPassportsNotHolder(passport, msg.sender, holder);
        _requireNotInstalled(passport, w);
        if (_stationOperator(stationId) != msg.sender) revert BatteryPassportsNotStationOperator(msg.sender, stationId);
        if (bmsDevice == 0 || bmsDevice > _registry.deviceCount()) revert BatteryPassportsNotBms(bmsDevice, stationId);
        IRegistry.Device memory d = _registry.deviceById(bmsDevice);
        if (d.stationId != stationId || d.kind != DEVICE_KIND_BMS || !d.active) {
            revert BatteryPassportsNotBms(bmsDevice, stationId);
        }
        bytes32 user = _byDevice[bmsDevice];
        if (user != bytes32(0)) revert BatteryPassportsDeviceInUse(bmsDevice, user);
        _byDevice[bmsDevice] = passport;
        _live[passport] = (w & ~uint256(((1 << 64) - 1) << 16)) | (uint256(stationId) << 16) | (uint256(bmsDevice) << 48);
        emit PackInstalled(passport, stationId, bmsDevice, msg.sender);
    }

    /// @inheritdoc IBatteryPassports
    function remove(bytes32 passport) external {
        uint256 w = _requireOpen(passport);
        uint32 stationId = uint32(w >> 16);
        if (stationId == 0) revert BatteryPassportsNotInstalled(passport);
        address holder = _holderOf(passport);
        if (msg.sender != holder && msg.sender != _stationOperator(stationId)) {
            revert BatteryPassportsNotHolder(passport, msg.sender, holder);
        }
        uint32 device = uint32(w >> 48);
        delete _byDevice[device];
        _live[passport] = w & ~uint256(((1 << 64) - 1) << 16);
        emit PackRemoved(passport, stationId, device, msg.sender);
    }

    /// @inheritdoc IBatteryPassports
    function recordRepair(bytes32 passport, bytes32 reportHash) external {
        uint256 w = _requireOpen(passport);
        _requireHolderOrOwner(passport);
        _live[passport] = w | FLAG_REPAIR;
        emit RepairRecorded(passport, reportHash, msg.sender);
    }

    /// @inheritdoc IBatteryPassports
    function markWaste(bytes32 passport) external {
        _checkRegistryRole(Roles.RECYCLER_ROLE);
        uint256 w = _requireOpen(passport);
        address holder = _holderOf(passport);
        if (msg.sender != holder) revert BatteryPassportsNotHolder(passport, msg.sender, holder);
        _requireNotInstalled(passport, w);
        _waste[passport] = uint256(uint160(msg.sender)) | (uint256(block.timestamp) << 160);
        _setStatus(passport, w, Status.Waste);
        emit PassportWasted(passport, msg.sender, uint64(block.timestamp));
    }

    /// @inheritdoc IBatteryPassports
    function submitSnapshot(Snapshot calldata s, bytes calldata signatures) external {
        bytes32 digest = _hashTypedDataV4(_hashSnapshot(s));
        bytes32 configDigest = _verifySigners(digest, signatures);
        _anchor(s, configDigest, digest);
    }

    /// @inheritdoc IBatteryPassports
    function submitSnapshotBatch(Snapshot[] calldata snapshots, bytes calldata signatures) external {
        if (snapshots.length == 0) revert BatteryPassportsEmptyBatch();
        bytes32 digest = _hashTypedDataV4(_hashBatch(snapshots));
        bytes32 configDigest = _verifySigners(digest, signatures);
        for (uint256 i; i < snapshots.length; ++i) {
            _anchor(snapshots[i], configDigest, digest);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IBatteryPassports
    function passportOf(bytes32 passport) external view returns (PassportView memory v) {
        uint256 w = _live[passport];
        if (w == 0) revert BatteryPassportsUnknown(passport);
        v.status = Status(uint8(w));
        v.closed = w & FLAG_CLOSED != 0;
        v.repairPending = w & FLAG_REPAIR != 0;
        v.owner = _owners[passport];
        v.holder = _holderOf(passport);
        v.stationId = uint32(w >> 16);
        v.bmsDevice = uint32(w >> 48);
        v.predecessor = _predecessors[passport];
        v.successor = _successors[passport];
        v.paramsHash = _paramsHashes[passport];
        v.gbtCodeHash = _codeHashes[passport];
        v.lastDay = uint32(w >> 80);
        v.sohBps = uint16(w >> 112);
        v.cycleCount = uint32(w >> 128);
        v.chargedWhTotal = uint64(uint48(w >> 160));
        v.dischargedWhTotal = uint64(uint48(w >> 208));
        uint256 waste = _waste[passport];
        v.recycler = address(uint160(waste));
        v.wastedAt = uint64(waste >> 160);
    }

    /// @inheritdoc IBatteryPassports
    function passportByCode(bytes32 gbtCodeHash) external view returns (bytes32) {
        return _byCode[gbtCodeHash];
    }

    /// @inheritdoc IBatteryPassports
    function passportOfDevice(uint32 deviceId) external view returns (bytes32) {
        return _byDevice[deviceId];
    }

    /// @inheritdoc IBatteryPassports
    function hashSnapshot(Snapshot calldata s) external view returns (bytes32) {
        return _hashTypedDataV4(_hashSnapshot(s));
    }

    /// @inheritdoc IBatteryPassports
    function hashSnapshotBatch(Snapshot[] calldata snapshots) external view returns (bytes32) {
        return _hashTypedDataV4(_hashBatch(snapshots));
    }

    /// @inheritdoc IBatteryPassports
    function sohToleranceBps() external pure returns (uint16) {
        return SOH_TOLERANCE_BPS;
    }

    /// @inheritdoc IBatteryPassports
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IBatteryPassports
    function registry() external view returns (address) {
        return address(_registry);
    }
}
