// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IBatteryPassports
/// @notice Battery passports (EU 2023/1542 Art. 77 and Annex XIII; GB/T 34014 coding) and second
/// life (梯次利用): identity, status, custody, installation in a station, and daily health snapshots
/// signed by a quorum of the Registry's oracle set from the pack's BMS readings.
/// @dev Storage keeps hashes and packed words; descriptive strings live in events. A passport is
/// keyed by keccak256(bytes(passportId)), its ISO/IEC 15459 unique identifier.
///
/// Status machine (values of the regulation):
///   create                      -> Original
///   setStatus(Reused)           Original | Repurposed | Remanufactured -> Reused (same passport)
///   repurpose / remanufacture   any live status -> a NEW passport (Repurposed / Remanufactured)
///                               linked to its predecessor; the old one is closed (read-only)
///   markWaste                   any live status -> Waste (final), by a RECYCLER_ROLE holder
///                               that holds the pack, with the recycler and the date
/// A closed or wasted passport takes no more writes. Installed packs must be removed before they
/// are repurposed, remanufactured or wasted.
///
/// EIP-712 domain: name "ESSLedger Passports", version "1", chainId, verifyingContract = this.
/// Type strings (standard EIP-712 hashStruct; int16 fields sign-extended):
///   Snapshot(bytes32 passport,uint32 day,uint32 deviceId,bytes32 telemetryRoot,uint32 readingCount,bytes32 configDigest,uint16 sohBps,uint32 cycleCount,uint64 chargedWhTotal,uint64 dischargedWhTotal,uint16 efficiencyBps,uint32 resistanceMicroOhm,uint16 cellMinMilliVolts,uint16 cellMaxMilliVolts,int16 tempMinDeciC,int16 tempMaxDeciC,uint32 extremeTempSeconds,uint16 deepDischargeEvents,uint16 overchargeEvents,uint16 overTempEvents)
///   SnapshotBatch(Snapshot[] snapshots)Snapshot(...the Snapshot fields above...)
interface IBatteryPassports {
    // ------------------------------------------------------------------ types

    /// @notice Passport status, with the values of EU 2023/1542 Annex XIII (1)(d). None = no passport.
    enum Status {
        None,
        Original,
        Reused,
        Repurposed,
        Remanufactured,
        Waste
    }

    /// @notice Static attributes of a new passport. Only hashes are stored; the event carries the text.
    /// @param passportId ISO/IEC 15459 unique identifier (non-empty); keccak256 of it is the key.
    /// @param gbtCode GB/T 34014 code of the pack (unique among passports; a repurposed pack is re-coded).
    /// @param manufacturer Manufacturer name or identifier.
    /// @param chemistry Cathode/anode chemistry, e.g. "LFP/graphite".
    /// @param category 0 EV, 1 industrial, 2 LMT, 3 SLI.
    /// @param ratedCapacityWh Rated energy capacity in Wh (> 0).
    /// @param nominalVoltageMv Nominal voltage in mV.
    /// @param expectedCycleLife Expected lifetime in full equivalent cycles (to 80 % SOH).
    /// @param manufacturedAt Manufacture date (unix seconds).
    /// @param carbonFootprintGPerKWh Declared carbon footprint, gCO2e per kWh of the declaration's functional unit.
    /// @param attributesHash keccak256 of the off-chain static attribute document (Battery Pass names).
    /// @param owner First owner of the passport (economic operator placing it on the market).
    struct PassportParams {
        string passportId;
        string gbtCode;
        string manufacturer;
        string chemistry;
        uint8 category;
        uint64 ratedCapacityWh;
        uint32 nominalVoltageMv;
        uint32 expectedCycleLife;
        uint64 manufacturedAt;
        uint32 carbonFootprintGPerKWh;
        bytes32 attributesHash;
        address owner;
    }

    /// @notice A passport as the views return it.
    /// @param closed True once a successor passport replaced it (repurpose / remanufacture).
    /// @param repairPending A repair was recorded; the next snapshot may raise SOH beyond the tolerance.
    /// @param holder The party holding the pack (equals owner unless handed over).
    /// @param stationId, bmsDevice Where it is installed and which registry BMS device measures it (0 = not installed).
    /// @param paramsHash keccak256(abi.encode(PassportParams)) of its creation.
    /// @param lastDay Day index (unix seconds / 86400) of its latest snapshot (0 = none).
    /// @param recycler, wastedAt Who declared it waste and when (zero unless Waste).
    struct PassportView {
        Status status;
        bool closed;
        bool repairPending;
        address owner;
        address holder;
        uint32 stationId;
        uint32 bmsDevice;
        bytes32 predecessor;
        bytes32 successor;
        bytes32 paramsHash;
        bytes32 gbtCodeHash;
        uint32 lastDay;
        uint16 sohBps;
        uint32 cycleCount;
        uint64 chargedWhTotal;
        uint64 dischargedWhTotal;
        address recycler;
        uint64 wastedAt;
    }

    /// @notice One pack-day health summary, signed by a quorum of the oracle set (EIP-712).
    /// @param passport Passport key (keccak256 of the ISO/IEC 15459 id).
    /// @param day Day index (UTC unix seconds / 86400); strictly increasing per passport.
    /// @param deviceId The registry BMS device installed for the pack (must match the installation).
    /// @param telemetryRoot StandardMerkleTree root of the day's signed BMS readings (archive batch file).
    /// @param readingCount Leaves under telemetryRoot.
    /// @param configDigest The registry's current oracle config digest.
    /// @param sohBps State of health at the day's end: remaining capacity as % of rated, in bps.
    /// @param cycleCount Equivalent full cycles, cumulative (never decreasing).
    /// @param chargedWhTotal, dischargedWhTotal Cumulative BMS throughput counters, Wh (never decreasing, < 2^48).
    /// @param efficiencyBps Measured round trip of the day: discharged / charged Wh, capped at 10000 (0 = no charge).
    /// @param resistanceMicroOhm Pack internal resistance where the BMS reports it (0 = not reported).
    /// @param cellMinMilliVolts, cellMaxMilliVolts Day's extreme cell voltages.
    /// @param tempMinDeciC, tempMaxDeciC Day's extreme cell temperatures (0.1 °C).
    /// @param extremeTempSeconds Seconds of the day with a cell above 45 °C or below 0 °C.
    /// @param deepDischargeEvents, overchargeEvents, overTempEvents Rising edges of the SunSpec 802
    /// Evt1 alarm groups in the day's readings (see docs/passport.md).
    struct Snapshot {
        bytes32 passport;
        uint32 day;
        uint32 deviceId;
        bytes32 telemetryRoot;
        uint32 readingCount;
        bytes32 configDigest;
        uint16 sohBps;
        uint32 cycleCount;
        uint64 chargedWhTotal;
        uint64 dischargedWhTotal;
        uint16 efficiencyBps;
        uint32 resistanceMicroOhm;
        uint16 cellMinMilliVolts;
        uint16 cellMaxMilliVolts;
        int16 tempMinDeciC;
        int16 tempMaxDeciC;
        uint32 extremeTempSeconds;
        uint16 deepDischargeEvents;
        uint16 overchargeEvents;
        uint16 overTempEvents;
    }

    // ------------------------------------------------------------------ errors

    /// @notice No passport with this key.
    error BatteryPassportsUnknown(bytes32 passport);
    /// @notice A passport with this key exists already.
    error BatteryPassportsExists(bytes32 passport);
    /// @notice The GB/T 34014 code is already used by `passport`.
    error BatteryPassportsCodeInUse(bytes32 gbtCodeHash, bytes32 passport);
    /// @notice The passport id or the GB/T code is empty.
    error BatteryPassportsEmptyIdentifier();
    /// @notice Category outside 0..3.
    error BatteryPassportsInvalidCategory(uint8 category);
    /// @notice Rated capacity is zero.
    error BatteryPassportsZeroCapacity();
    /// @notice A required address is zero.
    error BatteryPassportsZeroAddress();
    /// @notice `account` is not the owner of the passport.
    error BatteryPassportsNotOwner(bytes32 passport, address account, address owner);
    /// @notice `account` is neither the holder nor the owner of the passport.
    error BatteryPassportsNotHolder(bytes32 passport, address account, address holder);
    /// @notice The passport was replaced by `successor` and is read-only.
    error BatteryPassportsClosed(bytes32 passport, bytes32 successor);
    /// @notice The passport is Waste (final).
    error BatteryPassportsIsWaste(bytes32 passport);
    /// @notice `setStatus` cannot move the passport from `from` to `to`.
    error BatteryPassportsInvalidTransition(bytes32 passport, Status from, Status to);
    /// @notice The pack is installed in `stationId`; remove it first.
    error BatteryPassportsInstalled(bytes32 passport, uint32 stationId);
    /// @notice The pack is not installed in any station.
    error BatteryPassportsNotInstalled(bytes32 passport);
    /// @notice `account` is not the operator of `stationId` in the registry.
    error BatteryPassportsNotStationOperator(address account, uint32 stationId);
    /// @notice `deviceId` is not an active BMS device of `stationId`.
    error BatteryPassportsNotBms(uint32 deviceId, uint32 stationId);
    /// @notice The BMS device already measures `passport`.
    error BatteryPassportsDeviceInUse(uint32 deviceId, bytes32 passport);
    /// @notice The snapshot names another device than the one installed.
    error BatteryPassportsWrongDevice(bytes32 passport, uint32 installedDevice, uint32 reportedDevice);
    /// @notice The snapshot's day is not after the latest snapshot's day.
    error BatteryPassportsSnapshotNotAfter(bytes32 passport, uint32 day, uint32 lastDay);
    /// @notice The cumulative cycle count went backwards.
    error BatteryPassportsCycleCountDecreased(bytes32 passport, uint32 previous, uint32 reported);
    /// @notice A cumulative throughput counter went backwards.
    error BatteryPassportsThroughputDecreased(bytes32 passport, uint64 previousWh, uint64 reportedWh);
    /// @notice A cumulative throughput counter is above 2^48 - 1 Wh.
    error BatteryPassportsCounterTooLarge(bytes32 passport, uint64 reportedWh, uint64 limitWh);
    /// @notice SOH above 10000 bps.
    error BatteryPassportsSohOutOfRange(bytes32 passport, uint16 sohBps);
    /// @notice SOH rose more than `toleranceBps` over the previous snapshot without a recorded repair.
    error BatteryPassportsSohRose(bytes32 passport, uint16 previousBps, uint16 reportedBps, uint16 toleranceBps);
    /// @notice The snapshot's configDigest is not the registry's current one.
    error BatteryPassportsConfigDigestMismatch(bytes32 current, bytes32 reported);
    /// @notice Signature `index` could not be recovered (ECDSA.RecoverError code in `reason`).
    error BatteryPassportsSignatureInvalid(uint256 index, uint8 reason);
    /// @notice Recovered signers must be strictly ascending (this also rejects duplicates).
    error BatteryPassportsSignersNotAscending(address previous, address signer);
    /// @notice A recovered signer is not in the current oracle set.
    error BatteryPassportsSignerNotOracle(address signer);
    /// @notice Fewer signatures than the oracle threshold.
    error BatteryPassportsQuorumNotReached(uint256 signatures, uint8 threshold);
    /// @notice A snapshot batch without snapshots.
    error BatteryPassportsEmptyBatch();

    // ------------------------------------------------------------------ events

    /// @notice A passport was created (by create, repurpose or remanufacture).
    /// @param predecessor Zero for an original passport.
    event PassportCreated(
        bytes32 indexed passport,
        address indexed owner,
        bytes32 indexed predecessor,
        Status status,
        address by,
        bytes32 paramsHash,
        PassportParams params
    );
    /// @notice `predecessor` was closed and replaced by `successor` (repurposed or remanufactured).
    event PassportSuperseded(bytes32 indexed predecessor, bytes32 indexed successor, Status status, address by);
    /// @notice The status changed on the same passport.
    event StatusChanged(bytes32 indexed passport, Status previous, Status status, address by);
    /// @notice Owner and/or holder changed (the pack's trajectory, 流转足迹).
    event CustodyChanged(
        bytes32 indexed passport,
        address indexed owner,
        address indexed holder,
        address previousOwner,
        address previousHolder,
        address by
    );
    /// @notice The pack was installed into a station, measured by registry BMS device `bmsDevice`.
    event PackInstalled(bytes32 indexed passport, uint32 indexed stationId, uint32 bmsDevice, address by);
    /// @notice The pack was removed from its station.
    event PackRemoved(bytes32 indexed passport, uint32 indexed stationId, uint32 bmsDevice, address by);
    /// @notice A repair was recorded; `reportHash` is the hash of the repair report.
    event RepairRecorded(bytes32 indexed passport, bytes32 reportHash, address by);
    /// @notice The pack was declared waste (final) by `recycler`.
    event PassportWasted(bytes32 indexed passport, address indexed recycler, uint64 at);
    /// @notice A health snapshot was accepted. The oracle signatures are in the transaction's
    /// calldata (the verifier recovers them there); the log keeps every other field in 118 packed
    /// bytes (about 4 000 gas less than the ABI-encoded struct and signer list).
    /// @param digest EIP-712 digest the oracles signed (the snapshot's own, or its batch's).
    /// @param record Big-endian, in Snapshot field order without passport and day (the topics):
    /// deviceId u32 | telemetryRoot 32 bytes | readingCount u32 | configDigest 32 bytes | sohBps u16 | cycleCount u32 |
    /// chargedWhTotal u64 | dischargedWhTotal u64 | efficiencyBps u16 | resistanceMicroOhm u32 |
    /// cellMinMilliVolts u16 | cellMaxMilliVolts u16 | tempMinDeciC i16 | tempMaxDeciC i16 |
    /// extremeTempSeconds u32 | deepDischargeEvents u16 | overchargeEvents u16 | overTempEvents u16.
    event SnapshotAnchored(bytes32 indexed passport, uint32 indexed day, bytes32 digest, bytes record);

    // ------------------------------------------------------------------ writes

    /// @notice Create an Original passport. Caller: ECONOMIC_OPERATOR_ROLE on the registry.
    /// @return passport keccak256(bytes(p.passportId)).
    function create(PassportParams calldata p) external returns (bytes32 passport);

    /// @notice Repurpose the pack: a new Repurposed passport (new id, new GB/T code, `p.owner` as
    /// owner) linked to `predecessor`, which is closed. Caller: the predecessor's owner, holding
    /// ECONOMIC_OPERATOR_ROLE. The pack must not be installed.
    function repurpose(bytes32 predecessor, PassportParams calldata p) external returns (bytes32 passport);

    /// @notice As `repurpose`, with status Remanufactured.
    function remanufacture(bytes32 predecessor, PassportParams calldata p) external returns (bytes32 passport);

    /// @notice Change the status on the same passport; only to Reused (from Original, Repurposed or
    /// Remanufactured). Caller: the owner, holding ECONOMIC_OPERATOR_ROLE.
    function setStatus(bytes32 passport, Status status) external;

    /// @notice Transfer ownership (and physical custody: holder; zero = the new owner). Caller: owner.
    function transfer(bytes32 passport, address newOwner, address newHolder) external;

    /// @notice Hand the pack to `newHolder` keeping the owner. Caller: owner or holder.
    function handOver(bytes32 passport, address newHolder) external;

    /// @notice Install the pack in `stationId`, measured by BMS device `bmsDevice` (an active BMS of
    /// that station, measuring no other pack). Caller: the holder, who must be the station's operator.
    function install(bytes32 passport, uint32 stationId, uint32 bmsDevice) external;

    /// @notice Remove the pack from its station. Caller: the holder or the station's operator.
    function remove(bytes32 passport) external;

    /// @notice Record a repair (e.g. module replacement): the next snapshot may raise SOH beyond the
    /// tolerance. Caller: owner or holder.
    function recordRepair(bytes32 passport, bytes32 reportHash) external;

    /// @notice Declare the pack waste (final). Caller: RECYCLER_ROLE holding the pack; not installed.
    function markWaste(bytes32 passport) external;

    /// @notice Anchor one snapshot signed by at least `threshold` current oracles (ascending signers).
    function submitSnapshot(Snapshot calldata s, bytes calldata signatures) external;

    /// @notice Anchor many snapshots with one signature set over SnapshotBatch(snapshots): the
    /// oracle config and signers are checked once per batch.
    function submitSnapshotBatch(Snapshot[] calldata snapshots, bytes calldata signatures) external;

    // ------------------------------------------------------------------ views

    /// @notice The passport; reverts BatteryPassportsUnknown.
    function passportOf(bytes32 passport) external view returns (PassportView memory);

    /// @notice The passport using a GB/T 34014 code (zero if none).
    function passportByCode(bytes32 gbtCodeHash) external view returns (bytes32);

    /// @notice The passport the BMS device measures (zero if none).
    function passportOfDevice(uint32 deviceId) external view returns (bytes32);

    /// @notice EIP-712 digest of one snapshot.
    function hashSnapshot(Snapshot calldata s) external view returns (bytes32);

    /// @notice EIP-712 digest of a snapshot batch.
    function hashSnapshotBatch(Snapshot[] calldata snapshots) external view returns (bytes32);

    /// @notice SOH may rise by at most this many bps between snapshots without a recorded repair.
    function sohToleranceBps() external view returns (uint16);

    /// @notice The EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The registry roles, stations, devices and the oracle set are read from.
    function registry() external view returns (address);
}
