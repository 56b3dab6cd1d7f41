import EventLoop
import Foundation
import GatewayProtocol
import Glibc

/// Runs the modules' jobs on their cron schedules.
///
/// - A job never runs twice at once: a due time reached while a run is still going (on this node, or on another node
///   whose lease is live) is recorded as `skipped`.
/// - Several nodes may share the database: the row for a scheduled time is inserted with `ON CONFLICT DO NOTHING` before
///   the run, so one node runs it (`JobRunsTable`).
/// - Due times missed while the scheduler was late (a long pause) coalesce into one run; due times missed while the
///   gateway was down run once at `start()` for jobs that ask for it (`runMissedOnStart`), dated at the latest one missed.
/// - A job that throws is recorded as `failed` with its message; nothing else happens to it.
public actor Scheduler {
    private struct Entry {
        let spec: JobSpec
        let cron: CronExpression
        let zone: TimeZone
        var nextDueMs: Int64?
    }

    public static let migrations = JobRunsTable.migrations
    /// How long a run's lock outlives a node that stopped renewing it (renewed every half of it while the job runs).
    public static let defaultLeaseMs: Int64 = 600_000

    private let table: JobRunsTable
    private let clock: any SchedulerClock
    private let node: String
    private let leaseMs: Int64
    private var entries: [JobKey: Entry] = [:]
    /// Jobs between claiming a run and recording its end; the local half of "never twice at once".
    private var busy: Set<JobKey> = []
    private var runs: [JobKey: Task<Void, Never>] = [:]
    private var loop: Task<Void, Never>?

    public init(database: any Database, clock: any SchedulerClock = SystemSchedulerClock(), node: String = Scheduler.defaultNode(),
                leaseMs: Int64 = Scheduler.defaultLeaseMs) {
        table = JobRunsTable(database: database)
        self.clock = clock
        self.node = node
        self.leaseMs = leaseMs
    }

    /// `host:pid`, unique enough to tell in the run records which node ran what.
    public static func defaultNode() -> String {
        var name = [UInt8](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return "\(String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)):\(getpid())"
    }

    public func add(_ spec: JobSpec, module: String) throws(SchedulerError) {
        let key = JobKey(module: module, name: spec.name)
        guard entries[key] == nil else { throw .duplicateJob(key) }
        let cron: CronExpression
        do { cron = try CronExpression(spec.schedule) } catch { throw .invalidSchedule(key, error) }
        guard let zone = TimeZone(identifier: spec.timeZone) else { throw .unknownTimeZone(key, spec.timeZone) }
        entries[key] = Entry(spec: spec, cron: cron, zone: zone)
    }

    /// Runs the missed runs the jobs ask for, then keeps running jobs when due until `stop()`.
    public func start() async {
        guard loop == nil else { return }
        let now = clock.nowMs()
        for (key, entry) in entries.sorted(by: { $0.key.description < $1.key.description }) {
            entries[key]?.nextDueMs = entry.cron.nextRun(after: now, in: entry.zone)
            if entry.spec.runMissedOnStart, let missed = await latestMissedRun(key, now: now) {
                Log.info("job_catch_up", ["job": key, "scheduled_at_ms": missed])
                await begin(key, scheduledAtMs: missed, manual: false)
            }
        }
        loop = Task { await self.runWhenDue() }
    }

    /// Stops scheduling and waits for the runs in progress to end.
    public func stop() async {
        loop?.cancel()
        await loop?.value
        await waitForRunningJobs()
    }

    func waitForRunningJobs() async {
        while let run = runs.values.first { await run.value }
    }

    public func list() async throws(SchedulerError) -> [JobStatus] {
        var statuses: [JobStatus] = []
        for (key, entry) in entries.sorted(by: { $0.key.description < $1.key.description }) {
            let last: JobRunRecord?
            do { last = try await table.lastRun(key) } catch { throw .storage(key, "\(error)") }
            let next = entry.nextDueMs ?? entry.cron.nextRun(after: clock.nowMs(), in: entry.zone)
            statuses.append(JobStatus(job: key, schedule: entry.spec.schedule, timeZone: entry.spec.timeZone,
                                      running: busy.contains(key), lastRun: last, nextRunMs: next))
        }
        return statuses
    }

    /// Starts a run of `<module>.<job>` now, off schedule; returns once the run is claimed, not when it ends.
    @discardableResult
    public func trigger(_ name: String) async throws(SchedulerError) -> JobRun {
        guard let key = entries.keys.first(where: { $0.description == name }) else { throw .unknownJob(name) }
        guard !busy.contains(key) else { throw .alreadyRunning(key) }
        let now = clock.nowMs()
        switch await begin(key, scheduledAtMs: now, manual: true) {
        case .claimed?: return JobRun(scheduledAtMs: now, startedAtMs: now, triggeredManually: true)
        case .skipped?: throw .alreadyRunning(key)
        case .takenElsewhere?: throw .triggeredElsewhere(key)
        case nil: throw .storage(key, "the run could not be claimed; see the log")
        }
    }

    private func runWhenDue() async {
        while !Task.isCancelled {
            guard let wake = entries.values.compactMap(\.nextDueMs).min() else { return }
            do { try await clock.sleep(untilMs: wake) } catch { return }
            let now = clock.nowMs()
            let due = entries.filter { ($0.value.nextDueMs ?? .max) <= now }.sorted { $0.key.description < $1.key.description }
            for (key, entry) in due {
                entries[key]?.nextDueMs = entry.cron.nextRun(after: now, in: entry.zone)
                await begin(key, scheduledAtMs: entry.nextDueMs!, manual: false)
            }
        }
    }

    /// The latest scheduled time after the last recorded one that has passed, if any; nil for a job never recorded
    /// (a new job has missed nothing).
    private func latestMissedRun(_ key: JobKey, now: Int64) async -> Int64? {
        guard let entry = entries[key] else { return nil }
        let last: Int64?
        do { last = try await table.lastScheduledTime(key) } catch {
            Log.error("job_catch_up_failed", ["job": key, "error": error])
            return nil
        }
        guard let last, var missed = entry.cron.nextRun(after: last, in: entry.zone), missed <= now else { return nil }
        while let next = entry.cron.nextRun(after: missed, in: entry.zone), next <= now { missed = next }
        return missed
    }

    /// Claims the run in the database and starts it; nil when the database failed (logged).
    @discardableResult
    private func begin(_ key: JobKey, scheduledAtMs: Int64, manual: Bool) async -> JobRunsTable.Claim? {
        let now = clock.nowMs()
        if busy.contains(key) {
            Log.warning("job_skipped", ["job": key, "scheduled_at_ms": scheduledAtMs, "reason": "previous run still going"])
            do { try await table.recordSkipped(key, scheduledAtMs: scheduledAtMs, node: node, nowMs: now) } catch {
                Log.error("job_record_failed", ["job": key, "error": error])
            }
            return .skipped
        }
        busy.insert(key)
        let claim: JobRunsTable.Claim
        do {
            claim = try await table.claim(key, scheduledAtMs: scheduledAtMs, manual: manual, node: node, nowMs: now,
                                          leaseMs: leaseMs)
        } catch {
            busy.remove(key)
            Log.error("job_claim_failed", ["job": key, "scheduled_at_ms": scheduledAtMs, "error": error])
            return nil
        }
        guard claim == .claimed, let spec = entries[key]?.spec else {
            busy.remove(key)
            if claim == .skipped {
                Log.warning("job_skipped", ["job": key, "scheduled_at_ms": scheduledAtMs, "reason": "running on another node"])
            }
            return claim
        }
        let run = JobRun(scheduledAtMs: scheduledAtMs, startedAtMs: now, triggeredManually: manual)
        runs[key] = Task { await self.execute(key, spec: spec, run: run) }
        return .claimed
    }

    private func execute(_ key: JobKey, spec: JobSpec, run: JobRun) async {
        let lease = Task { [table, clock, leaseMs] in
            // A fixed cadence from the start, not "half a lease after the last renewal": a slow write never stretches
            // the interval between renewals past half a lease.
            var renewAtMs = run.startedAtMs
            while !Task.isCancelled {
                renewAtMs += leaseMs / 2
                do {
                    try await clock.sleep(untilMs: renewAtMs)
                    try await table.renewLease(key, scheduledAtMs: run.scheduledAtMs, manual: run.triggeredManually,
                                               untilMs: clock.nowMs() + leaseMs)
                } catch is CancellationError {
                    return
                } catch {
                    Log.error("job_lease_renewal_failed", ["job": key, "error": error])
                }
            }
        }
        var outcome = "ok", result = JobOutcome(), failure: String?
        do { result = try await spec.run(run) } catch {
            outcome = "failed"
            failure = "\(error)"
        }
        lease.cancel()
        let ended = clock.nowMs()
        do {
            try await table.finish(key, scheduledAtMs: run.scheduledAtMs, manual: run.triggeredManually, endedAtMs: ended,
                                   outcome: outcome, counts: result.counts, note: result.note, error: failure)
        } catch {
            Log.error("job_record_failed", ["job": key, "scheduled_at_ms": run.scheduledAtMs, "error": error])
        }
        Log.write(outcome == "ok" ? .info : .warning, "job_run", pairs: [
            ("job", key.description), ("scheduled_at_ms", "\(run.scheduledAtMs)"), ("outcome", outcome),
            ("duration_ms", "\(ended - run.startedAtMs)"), ("error", failure ?? ""),
        ])
        busy.remove(key)
        runs[key] = nil
    }
}
