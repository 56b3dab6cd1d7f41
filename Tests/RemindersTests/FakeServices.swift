import Foundation
import GatewayProtocol
import Synchronization

/// What the fake services were asked to send, with the test clock's time of each request.
struct Sent: Sendable {
    var notifications: [(atMs: Int64, request: NotificationRequest)] = []
    var sms: [(atMs: Int64, request: SMSRequest)] = []
}

/// The notifications and SMS services Reminders calls, as a small test module: it records every request, can be told to
/// fail for some users, and creates the other modules' tables that Reminders reads and cleans (the columns their
/// READMEs document) so the tests can seed them. `context` is kept for seeding with SQL.
final class FakeServices: GatewayModule {
    static let name = "fakes"
    static let contractVersion = ContractVersion.current
    static let sent = Mutex(Sent())
    static let failingUsers = Mutex<Set<String>>([])
    /// Numbers the fake SMS service refuses as the real one refuses an invalid number: a 400 `ModuleError`.
    static let refusedNumbers = Mutex<Set<String>>([])
    static let smsAttempts = Mutex(0)
    static let context = Mutex<(any ModuleContext)?>(nil)

    struct Notifications: NotificationSending {
        let clock: any ModuleClock
        func notify(_ request: NotificationRequest) async throws -> NotificationReceipt {
            if FakeServices.failingUsers.withLock({ $0.contains(request.userId) }) { throw ModuleError("fake failure", status: 500) }
            let count = FakeServices.sent.withLock {
                $0.notifications.append((clock.nowMs(), request))
                return $0.notifications.count
            }
            return NotificationReceipt(id: "\(count)", deliveredRealtime: false)
        }
        func notify(userId: String, template: String, parameters: [String: String], type: String,
                    priority: String?) async throws -> NotificationReceipt {
            throw ModuleError("Reminders renders its own texts; the template call is not expected")
        }
    }

    struct SMS: SMSSending {
        let clock: any ModuleClock
        func send(_ request: SMSRequest) async throws -> SMSReceipt {
            FakeServices.smsAttempts.withLock { $0 += 1 }
            if FakeServices.refusedNumbers.withLock({ $0.contains(request.to) }) {
                throw ModuleError("to: not a valid phone number", status: 400, code: "invalid_number")
            }
            let count = FakeServices.sent.withLock {
                $0.sms.append((clock.nowMs(), request))
                return $0.sms.count
            }
            return SMSReceipt(id: "\(count)", status: "queued")
        }
    }

    static let tables = [
        Migration(version: 1, [
            """
            CREATE TABLE notifications (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL,
                priority TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL, data TEXT,
                is_read INTEGER NOT NULL DEFAULT 0, read_at INTEGER, created_at INTEGER NOT NULL, expires_at INTEGER)
            """,
            """
            CREATE TABLE notifications_workouts (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, exercise_name TEXT NOT NULL,
                duration_minutes DOUBLE PRECISION NOT NULL, calories DOUBLE PRECISION NOT NULL,
                performed_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, notification_id INTEGER NOT NULL)
            """,
            """
            CREATE TABLE chat_messages (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, sender_id TEXT NOT NULL,
                message TEXT NOT NULL, message_type TEXT NOT NULL, reply_to INTEGER, metadata TEXT,
                created_at INTEGER NOT NULL, is_deleted INTEGER NOT NULL DEFAULT 0, deleted_at INTEGER, deleted_by TEXT)
            """,
            """
            CREATE TABLE sms_otp_codes (phone TEXT PRIMARY KEY, code_hash BLOB NOT NULL, attempts INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL)
            """,
            "CREATE TABLE sms_counters (bucket TEXT PRIMARY KEY, window_start_ms INTEGER NOT NULL, hits INTEGER NOT NULL)",
        ]),
    ]

    static func reset() {
        sent.withLock { $0 = Sent() }
        failingUsers.withLock { $0 = [] }
        refusedNumbers.withLock { $0 = [] }
        smsAttempts.withLock { $0 = 0 }
        context.withLock { $0 = nil }
    }

    init(setup: any ModuleSetup) throws {
        if setup.configuration["tables"]?.boolValue ?? true { setup.migrations(Self.tables) }
        setup.provide(WellKnownServices.notifications, Notifications(clock: setup.context.clock))
        if setup.configuration["sms"]?.boolValue ?? true { setup.provide(WellKnownServices.sms, SMS(clock: setup.context.clock)) }
        let context = setup.context
        Self.context.withLock { $0 = context }
    }
}
