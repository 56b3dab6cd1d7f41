// Scheduled jobs through the contract (contract 0.3). The gateway's scheduler runs them; with several gateway nodes, one
// node runs each run (the lock is taken through storage).

/// When and how a job runs.
public struct JobSpec: Sendable {
    /// Unique within the module; the gateway names the job `<module>.<name>` in its routes, logs and metrics.
    public let name: String
    /// A 5-field cron expression (minute hour day-of-month month day-of-week; lists, ranges, steps, month and weekday
    /// names) or `@hourly`, `@daily`, `@weekly`.
    public let schedule: String
    /// The IANA time zone the schedule is read in (`"Asia/Seoul"`); daylight-saving changes are handled.
    public let timeZone: String
    /// When the gateway was down at a scheduled time, run once at start-up.
    public let runMissedOnStart: Bool
    public let run: @Sendable (JobRun) async throws -> JobOutcome

    public init(name: String, schedule: String, timeZone: String = "UTC", runMissedOnStart: Bool = false,
                run: @escaping @Sendable (JobRun) async throws -> JobOutcome) {
        self.name = name
        self.schedule = schedule
        self.timeZone = timeZone
        self.runMissedOnStart = runMissedOnStart
        self.run = run
    }
}

/// One run of a job: when it was due (Unix ms; a test clock decides what "now" is) and whether a person asked for it.
public struct JobRun: Sendable {
    public let scheduledAtMs: Int64
    public let startedAtMs: Int64
    public let triggeredManually: Bool
    public init(scheduledAtMs: Int64, startedAtMs: Int64, triggeredManually: Bool) {
        self.scheduledAtMs = scheduledAtMs
        self.startedAtMs = startedAtMs
        self.triggeredManually = triggeredManually
    }
}

/// What a run did, recorded with the run (`counts` such as `["notified": 12, "skipped": 3]`).
public struct JobOutcome: Sendable, Equatable {
    public var counts: [String: Int]
    public var note: String?
    public init(counts: [String: Int] = [:], note: String? = nil) {
        self.counts = counts
        self.note = note
    }
}
