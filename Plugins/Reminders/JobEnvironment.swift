import GatewayProtocol

/// What every job of the module works with.
struct JobEnvironment: Sendable {
    let context: any ModuleContext
    let settings: RemindersSettings
    var ledger: DeliveryLedger { DeliveryLedger(database: context.database) }

    /// What the jobs built on workouts need: the notifications service and the Notifications module's workout table.
    enum WorkoutInputs {
        case ready(any NotificationSending, WorkoutLog)
        /// The job cannot run; the outcome says why (`what` names what it would have done).
        case missing(JobOutcome)
    }

    func workoutInputs(_ what: String) async throws -> WorkoutInputs {
        guard let notifications = context.service(WellKnownServices.notifications) else {
            return .missing(JobOutcome(note: "the notifications service is not running: nothing sent"))
        }
        let log = WorkoutLog(database: context.database)
        guard try await log.available() else {
            return .missing(JobOutcome(note: "notifications_workouts does not exist (Notifications module not enabled): no \(what)"))
        }
        return .ready(notifications, log)
    }

    /// Users active at or after `sinceMs`, a page at a time (the directory is paged so that a large user base never sits
    /// in memory at once).
    func activeUsers(sinceMs: Int64) -> ActiveUserPages {
        ActiveUserPages(users: context.users, sinceMs: sinceMs)
    }

    /// Claims `entry`, runs `send`, and says what happened, for the counts. A failure that may pass (a timeout, a 5xx)
    /// gives the claim back so a later run in the slot retries; one the service calls permanent (a `ModuleError` 4xx: a
    /// number that can never be texted) keeps it, so the same refusal is not asked for again every 15 minutes.
    func sendOnce(_ entry: DeliveryLedger.Entry, nowMs: Int64, _ send: () async throws -> Void) async throws -> SendResult {
        guard try await ledger.claim(entry, nowMs: nowMs) else { return .alreadySent }
        do {
            try await send()
            return .sent
        } catch {
            let permanent = (error as? ModuleError).map { (400..<500).contains($0.status) } ?? false
            context.log.warning("send_failed", ["kind": entry.kind, "channel": entry.channel, "user": entry.userId,
                                                "period": entry.period, "permanent": "\(permanent)", "error": "\(error)"])
            if !permanent { try await ledger.release(entry) }
            return .failed
        }
    }

    enum SendResult: String {
        case sent, alreadySent, failed
    }
}

struct ActiveUserPages {
    let users: any UsersDirectory
    let sinceMs: Int64
    private var after: String?
    private var finished = false
    static let pageSize = 500

    init(users: any UsersDirectory, sinceMs: Int64) {
        self.users = users
        self.sinceMs = sinceMs
    }

    /// The next page, or nil after the last.
    mutating func next() async throws -> [UserRecord]? {
        guard !finished else { return nil }
        let page = try await users.activeUsers(sinceMs: sinceMs, after: after, limit: Self.pageSize)
        finished = page.count < Self.pageSize
        after = page.last?.id
        return page.isEmpty ? nil : page
    }
}

/// Counts a run records (`{"notified": 3, "sms": 1, "alreadySent": 2}`).
struct RunCounts {
    private(set) var values: [String: Int] = [:]

    mutating func add(_ name: String, _ amount: Int = 1) { values[name, default: 0] += amount }

    /// `sent` counted under `sentName` (`notified`, `sms`), the others under their own names (`smsFailed`, …).
    mutating func add(_ result: JobEnvironment.SendResult, sentName: String) {
        switch result {
        case .sent: add(sentName)
        case .alreadySent: add(sentName == "sms" ? "smsAlreadySent" : "alreadySent")
        case .failed: add(sentName == "sms" ? "smsFailed" : "failed")
        }
    }
}
