import GatewayProtocol

/// Midnight clean-up (in `cleanup.timeZone`): read notifications past their age deleted, old chat messages moved to the
/// archive, expired one-time codes and stale rate-limit windows of the SMS module purged, and the module's own ledger
/// trimmed. A table of a module that is not enabled here is skipped; a step that fails does not stop the others, and the
/// run then fails naming it.
struct CleanupJob: Sendable {
    let environment: JobEnvironment
    let chat: ChatSource

    struct StepsFailed: Error, CustomStringConvertible {
        let failures: [String]
        let counts: [String: Int]
        var description: String { "clean-up steps failed: \(failures.joined(separator: "; ")); done: \(counts)" }
    }

    func run(_ run: JobRun) async throws -> JobOutcome {
        let database = environment.context.database
        let cleanup = environment.settings.cleanup
        let now = run.scheduledAtMs
        let hourMs: Int64 = 3_600_000
        let probe = TableProbe(database: database)
        var progress = Progress()
        let log = environment.context.log
        func step(_ name: String, table: String, columns: [String], _ body: () async throws -> Int) async {
            await progress.step(name, table: table, columns: columns, probe: probe, log: log, body)
        }

        await step("readNotificationsDeleted", table: "notifications", columns: ["is_read", "created_at"]) {
            try await database.execute("DELETE FROM notifications WHERE is_read = 1 AND created_at < ?",
                                       [.integer(now - Int64(cleanup.readNotificationsDays) * RemindersSettings.dayMs)]).changes
        }
        let archive = ChatArchive(database: database, source: chat)
        await step("chatMessagesArchived", table: chat.table, columns: [chat.idColumn, chat.roomColumn, chat.timeColumn]) {
            try await archive.archive(olderThanMs: now - Int64(cleanup.chatArchiveDays) * RemindersSettings.dayMs, nowMs: now,
                                      batchSize: cleanup.batchSize)
        }
        await step("otpCodesPurged", table: "sms_otp_codes", columns: ["expires_at_ms"]) {
            try await database.execute("DELETE FROM sms_otp_codes WHERE expires_at_ms <= ?", [.integer(now)]).changes
        }
        await step("smsCountersPurged", table: "sms_counters", columns: ["window_start_ms"]) {
            try await database.execute("DELETE FROM sms_counters WHERE window_start_ms < ?",
                                       [.integer(now - Int64(cleanup.smsCountersHours) * hourMs)]).changes
        }
        await step("ledgerPurged", table: "reminders_ledger", columns: ["created_at"]) {
            try await environment.ledger.purge(olderThanMs: now - Int64(cleanup.ledgerDays) * RemindersSettings.dayMs)
        }

        guard progress.failures.isEmpty else { throw StepsFailed(failures: progress.failures, counts: progress.counts.values) }
        let skipped = progress.skipped
        return JobOutcome(counts: progress.counts.values,
                          note: skipped.isEmpty ? nil : "absent, skipped: \(skipped.joined(separator: ", "))")
    }

    /// What the steps did so far: one step's failure is recorded and the next step still runs.
    struct Progress {
        var counts = RunCounts()
        var skipped: [String] = []
        var failures: [String] = []

        mutating func step(_ name: String, table: String, columns: [String], probe: TableProbe, log: any ModuleLog,
                           _ body: () async throws -> Int) async {
            do {
                guard try await probe.exists(table, columns: columns) else {
                    skipped.append(table)
                    return
                }
                counts.add(name, try await body())
            } catch {
                log.error("cleanup_step_failed", ["step": name, "error": "\(error)"])
                failures.append("\(name): \(error)")
            }
        }
    }
}
