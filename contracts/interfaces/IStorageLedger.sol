// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IStorageLedger
/// @notice Oracle-signed interval reports of a shared battery station; per (station, participant)
/// energy accounts and avoided-emissions accounts.
/// @dev EIP-712 domain: name "ESSLedger", version "1", chainId, verifyingContract = the ledger.
/// Type strings (hashStruct per EIP-712; `participants` is hashed as keccak256 of the concatenated
/// ParticipantDelta struct hashes):
///   ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)
///   Report(uint32 stationId,uint64 intervalStart,uint64 intervalEnd,bytes32 readingsRoot,uint32 readingCount,bytes32 configDigest,uint16 socBps,uint16 sohBps,uint32 cycleCount,uint32 alarmBits,ParticipantDelta[] participants)ParticipantDelta(address participant,uint64 chargedWhTotal,uint64 dischargedWhTotal)
///
/// Accounting per report and participant (integer arithmetic, reproducible off-chain):
///   chargedWh    = chargedWhTotal    - previous chargedWhTotal    (previous = 0 before the first report)
///   dischargedWh = dischargedWhTotal - previous dischargedWhTotal
///   balanceWh    = floor(chargedWhTotal * roundTripEfficiencyBps / 10000) - dischargedWhTotal
///                  (the efficiency applies to the lifetime counter, so rounding never accumulates;
///                  must stay >= 0 and <= leasedWh)
///   lossesWh     = chargedWhTotal - dischargedWhTotal - balanceWh
///   avoidedGrams += (int256(dischargedWh) - int256(chargedWh)) * int256(gramsPerMWh) / 1e6
///                   (Solidity signed division: truncation toward zero, per interval and participant)
///
/// Curtailment (attestCurtailment, GRID_OPERATOR_ROLE, after the interval's report is booked): energy
/// the grid operator attests as curtailed renewables counts at emission factor 0, so the report's
/// charge at the grid factor is given back:
///   avoidedGrams += int256(curtailedWh) * int256(gramsPerMWh) / 1e6
///   (gramsPerMWh of the factor version of the station's latest report, truncated per participant)
interface IStorageLedger {
    // ------------------------------------------------------------------ types

    /// @notice One participant channel of a report.
    /// @param participant The lessee (reports list participants in strictly ascending address order).
    /// @param chargedWhTotal Cumulative charged energy counter (Wh), never decreasing.
    /// @param dischargedWhTotal Cumulative discharged energy counter (Wh), never decreasing.
    struct ParticipantDelta {
        address participant;
        uint64 chargedWhTotal;
        uint64 dischargedWhTotal;
    }

    /// @notice One participant's part of a curtailment attestation.
    /// @param participant The lessee whose charging in the interval came from curtailed renewables
    /// (attestations list participants in strictly ascending address order).
    /// @param curtailedWh Energy of the interval's charging that was curtailed renewables (Wh, > 0).
    struct CurtailedCharge {
        address participant;
        uint64 curtailedWh;
    }

    /// @notice An interval report, signed by a quorum of the registry's oracle set (EIP-712).
    /// @param stationId Registry station id.
    /// @param intervalStart Interval start (unix seconds) on the station grid.
    /// @param intervalEnd intervalStart + station intervalSeconds.
    /// @param readingsRoot StandardMerkleTree root over the interval's signed device readings.
    /// @param readingCount Number of leaves under readingsRoot.
    /// @param configDigest The registry's oracle config digest the signers belong to.
    /// @param socBps State of charge at interval end (0..10000).
    /// @param sohBps State of health at interval end (0..10000).
    /// @param cycleCount BMS equivalent full cycle count.
    /// @param alarmBits Union of SunSpec 802 Evt1 alarm bits seen in the interval.
    /// @param participants Per-participant cumulative counters, strictly ascending by address: any
    /// subset of the station's lessees (a participant left out is untouched).
    struct Report {
        uint32 stationId;
        uint64 intervalStart;
        uint64 intervalEnd;
        bytes32 readingsRoot;
        uint32 readingCount;
        bytes32 configDigest;
        uint16 socBps;
        uint16 sohBps;
        uint32 cycleCount;
        uint32 alarmBits;
        ParticipantDelta[] participants;
    }

    /// @notice A participant channel's counter baseline (setBaseline): the meter's raw counters at
    /// onboarding or at a meter replacement, and the participant's booked counters at that moment.
    /// Reports keep carrying booked cumulative counters; off-chain, for raw counters read after the
    /// baseline, booked = bookedWh + (raw - rawWh) per channel.
    /// @param device The meter (its registry signing address) whose counters the baseline holds.
    /// @param epoch 1 for the account's first baseline, +1 per later one (0: no baseline).
    /// @param rawChargedWh The meter's cumulative charged counter at the baseline (Wh).
    /// @param rawDischargedWh The meter's cumulative discharged counter at the baseline (Wh).
    /// @param bookedChargedWh The account's booked charged counter when the baseline was set.
    /// @param bookedDischargedWh The account's booked discharged counter when the baseline was set.
    struct Baseline {
        address device;
        uint32 epoch;
        uint64 rawChargedWh;
        uint64 rawDischargedWh;
        uint64 bookedChargedWh;
        uint64 bookedDischargedWh;
    }

    // ------------------------------------------------------------------ errors

    /// @notice `reports.length` and `signatures.length` differ in submitReports.
    error StorageLedgerLengthMismatch(uint256 reports, uint256 signatureSets);
    /// @notice The report's configDigest is not the registry's current one.
    error StorageLedgerConfigDigestMismatch(uint32 stationId, uint64 intervalStart, bytes32 current, bytes32 reported);
    /// @notice Signature `index` could not be recovered (ECDSA.RecoverError code in `reason`).
    error StorageLedgerSignatureInvalid(uint256 index, uint8 reason);
    /// @notice Recovered signers must be strictly ascending (this also rejects duplicates).
    error StorageLedgerSignersNotAscending(address previous, address signer);
    /// @notice A recovered signer is not in the current oracle set.
    error StorageLedgerSignerNotOracle(address signer);
    /// @notice Fewer valid signatures than the oracle threshold.
    error StorageLedgerQuorumNotReached(uint256 signatures, uint8 threshold);
    /// @notice The station is unknown to the registry (or has no capacity).
    error StorageLedgerUnknownStation(uint32 stationId);
    /// @notice The interval is not on the station grid (start ≡ gridStart mod length, end = start + length).
    error StorageLedgerIntervalOffGrid(uint32 stationId, uint64 intervalStart, uint64 intervalEnd);
    /// @notice The interval starts before the end of the latest accepted interval of the station.
    error StorageLedgerIntervalOverlap(uint32 stationId, uint64 intervalStart, uint64 previousEnd);
    /// @notice A report with this key, the latest of its window, was accepted with a different
    /// digest (first 16 bytes stored).
    error StorageLedgerReportConflict(uint32 stationId, uint64 intervalStart, bytes16 storedDigest, bytes32 reportedDigest);
    /// @notice socBps or sohBps above 10000.
    error StorageLedgerStateOutOfRange(uint32 stationId, uint16 socBps, uint16 sohBps);
    /// @notice Participants must be strictly ascending by address (rejects duplicates).
    error StorageLedgerParticipantsNotAscending(address previous, address participant);
    /// @notice The participant has no active lease at intervalStart.
    error StorageLedgerNoActiveLease(uint32 stationId, address participant, uint64 at);
    /// @notice A cumulative counter (chargedWhTotal or dischargedWhTotal) is above the ledger's
    /// account limit `limitWh` (2^48 - 1 Wh, about 281 TWh).
    error StorageLedgerCounterTooLarge(uint32 stationId, address participant, uint64 reportedWh, uint64 limitWh);
    /// @notice A cumulative counter went backwards.
    error StorageLedgerCounterDecreased(uint32 stationId, address participant, uint64 previousWh, uint64 reportedWh);
    /// @notice The participant's attested curtailed energy (all attestations so far, this one
    /// included) would exceed its cumulative charged energy.
    error StorageLedgerCurtailedExceedsCharged(uint32 stationId, address participant, uint64 curtailedWh, uint64 chargedWh);
    /// @notice A curtailment attestation names an interval without an accepted report.
    error StorageLedgerCurtailmentWithoutReport(uint32 stationId, uint64 intervalStart);
    /// @notice The interval's curtailment was already attested (one attestation per station and interval).
    error StorageLedgerCurtailmentAlreadyAttested(uint32 stationId, uint64 intervalStart);
    /// @notice A curtailment attestation without any participant, or with a zero amount.
    error StorageLedgerCurtailmentEmpty(uint32 stationId, uint64 intervalStart, address participant);
    /// @notice Discharge exceeds the participant's stored balance (after this interval's charge).
    error StorageLedgerBalanceNegative(uint32 stationId, address participant, uint64 availableWh, uint64 dischargedWh);
    /// @notice The participant's stored balance would exceed its leased capacity.
    error StorageLedgerLeaseExceeded(uint32 stationId, address participant, uint64 balanceWh, uint64 leasedWh);
    /// @notice Station energy balance: sumDischarged * 10000 > sumCharged * effBps + capacityWh * prevSoc * prevSoh / 10000.
    error StorageLedgerEnergyBalanceViolated(
        uint32 stationId, uint64 intervalStart, uint256 dischargedWh, uint256 chargedWh, uint256 storedWh
    );
    /// @notice The cumulative avoided emissions of an account left the int56 range (±3.6e16 g).
    error StorageLedgerAvoidedOverflow(uint32 stationId, address participant, int256 avoidedGrams);
    /// @notice setBaseline: `account` is neither the station's operator nor the registry admin.
    error StorageLedgerNotStationOperator(address account, uint32 stationId);
    /// @notice setBaseline: `device` is not an active device registered for the station.
    error StorageLedgerDeviceNotOfStation(uint32 stationId, address device);
    /// @notice Requested grams exceed the un-issued positive balance.
    error StorageLedgerInsufficientAvoided(uint32 stationId, address participant, uint256 unissuedGrams, uint96 requestedGrams);

    // ------------------------------------------------------------------ events

    /// @notice A report was accepted: the indexer's only input per report (one log instead of one
    /// per participant plus one for the station state, which saved about 15 000 gas per 5-participant
    /// report).
    /// @param digest The report's EIP-712 digest (the ledger stores only its first 16 bytes).
    /// @param signers The recovered oracle addresses (ascending).
    /// @param socBps State of charge at interval end, as reported.
    /// @param sohBps State of health at interval end, as reported.
    /// @param cycleCount BMS equivalent full cycle count, as reported.
    /// @param alarmBits SunSpec 802 Evt1 alarm union, as reported.
    /// @param factorVersion Emission factor version applied.
    /// @param gramsPerMWh Emission factor applied (gCO2e/MWh).
    /// @param participants One 48-byte record per participant, in report order, big-endian:
    /// participant (20 bytes) | chargedWh (uint64, interval delta) | dischargedWh (uint64, delta) |
    /// avoidedGrams (int96, two's complement, interval delta).
    event ReportAccepted(
        uint32 indexed stationId,
        uint64 indexed intervalStart,
        uint64 intervalEnd,
        bytes32 digest,
        bytes32 readingsRoot,
        uint32 readingCount,
        address[] signers,
        uint16 socBps,
        uint16 sohBps,
        uint32 cycleCount,
        uint32 alarmBits,
        uint32 factorVersion,
        uint32 gramsPerMWh,
        bytes participants
    );
    /// @notice A report with an already accepted key was resubmitted (no-op): the same digest for
    /// the latest key of its window; for an older key, any report carrying a valid quorum.
    event ReportDuplicate(uint32 indexed stationId, uint64 indexed intervalStart, bytes32 digest);
    /// @notice The accepted interval does not start where the previous one ended.
    event IntervalGap(uint32 indexed stationId, uint64 previousEnd, uint64 intervalStart);
    /// @notice Station parameters were copied from the registry into the ledger's cache.
    event StationCached(
        uint32 indexed stationId,
        bytes32 region,
        uint32 intervalSeconds,
        uint64 gridStart,
        uint16 roundTripEfficiencyBps,
        uint64 capacityWh
    );
    /// @notice The grid operator attested that `curtailedWh` of the participant's charging in the
    /// interval came from curtailed renewables; `avoidedGrams` (= curtailedWh x gramsPerMWh / 1e6)
    /// was added to its avoided-emissions account. One event per participant of the attestation.
    event CurtailmentAttested(
        uint32 indexed stationId,
        uint64 indexed intervalStart,
        address indexed participant,
        address gridOperator,
        uint64 curtailedWh,
        uint32 factorVersion,
        uint32 gramsPerMWh,
        int64 avoidedGrams
    );
    /// @notice A counter baseline was recorded for (stationId, participant): see `Baseline`.
    event BaselineSet(
        uint32 indexed stationId,
        address indexed participant,
        address indexed device,
        uint32 epoch,
        uint64 rawChargedWh,
        uint64 rawDischargedWh,
        uint64 bookedChargedWh,
        uint64 bookedDischargedWh
    );
    /// @notice Avoided emissions were consumed (issued as credits or excluded for green certificates).
    event AvoidedConsumed(
        uint32 indexed stationId, address indexed participant, address indexed by, uint96 grams, uint96 consumedTotal
    );

    // ------------------------------------------------------------------ writes

    /// @notice Verify and book one report.
    /// @return accepted False if the same report (same key and digest) was already accepted (no-op).
    function submitReport(Report calldata r, bytes[] calldata signatures) external returns (bool accepted);

    /// @notice Verify and book several reports (e.g. several stations) in one transaction;
    /// oracle config, signer checks and the emission factor of a region are read once per call.
    /// @return accepted Per report, false for a duplicate no-op.
    function submitReports(Report[] calldata reports, bytes[][] calldata signatures)
        external
        returns (bool[] memory accepted);

    /// @notice Attest (GRID_OPERATOR_ROLE on the registry) how much of each participant's charging in
    /// the interval starting at `intervalStart` came from curtailed renewables. The interval's report
    /// must be accepted; each interval is attested once; a participant's attested total may not exceed
    /// its cumulative charged energy (the per-interval bound, curtailedWh <= the interval's charged
    /// delta in ReportAccepted, is checked off-chain by `essl verify`).
    function attestCurtailment(uint32 stationId, uint64 intervalStart, CurtailedCharge[] calldata charges) external;

    /// @notice Record the counter baseline of a participant channel at onboarding or after a meter
    /// replacement (the station's operator or the registry admin). The participant needs an active
    /// lease now and `device` must be an active device of the station; the booked counters are read
    /// from the participant's account (0 for a new one). The report path never reads it.
    function setBaseline(
        uint32 stationId,
        address participant,
        address device,
        uint64 rawChargedWh,
        uint64 rawDischargedWh
    ) external;

    /// @notice Consume un-issued avoided emissions (LEDGER_WRITER_ROLE on the registry, e.g. CarbonCredits).
    function consumeAvoided(uint32 stationId, address participant, uint96 grams) external;

    // ------------------------------------------------------------------ views

    /// @notice Energy account of `participant` at `stationId`. chargedWh/dischargedWh are the last
    /// accepted cumulative counters (= totals, since deltas start from 0).
    function accountOf(uint32 stationId, address participant)
        external
        view
        returns (uint64 chargedWh, uint64 dischargedWh, uint64 balanceWh, uint64 lossesWh);

    /// @notice Avoided-emissions account. unissued = max(avoided - consumed, 0). factorVersion is the
    /// factor version of the station's latest accepted report (all participants of a station share it).
    function avoidedOf(uint32 stationId, address participant)
        external
        view
        returns (int128 avoidedGrams, uint96 consumedGrams, uint256 unissuedGrams, uint32 factorVersion);

    /// @notice The baseline in force for (stationId, participant); all zero (epoch 0) if none was set.
    function baselineOf(uint32 stationId, address participant) external view returns (Baseline memory);

    /// @notice Cumulative curtailed energy attested for `participant` at `stationId` (Wh).
    function curtailedOf(uint32 stationId, address participant) external view returns (uint64 curtailedWh);

    /// @notice Whether the curtailment of the interval starting at `intervalStart` was attested.
    function curtailmentAttested(uint32 stationId, uint64 intervalStart) external view returns (bool);

    /// @notice The record of report key (stationId, intervalStart): whether a report with this key
    /// was accepted, and the first 16 bytes of its EIP-712 digest when it is the latest accepted key
    /// of its 128-interval window (zero otherwise; every report's full digest, block and content are
    /// in its ReportAccepted event).
    function reportOf(uint32 stationId, uint64 intervalStart) external view returns (bool accepted, bytes16 digest);

    /// @notice The latest accepted interval of `stationId` (zeroes before the first report).
    function latestInterval(uint32 stationId)
        external
        view
        returns (uint64 intervalStart, uint64 intervalEnd, uint16 socBps, uint16 sohBps);

    /// @notice The EIP-712 digest of `r` (what the oracles sign).
    function hashReport(Report calldata r) external view returns (bytes32);

    /// @notice The EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The registry this ledger reads roles, stations, leases and oracles from.
    function registry() external view returns (address);

    /// @notice The emission-factor source.
    function factors() external view returns (address);
}
