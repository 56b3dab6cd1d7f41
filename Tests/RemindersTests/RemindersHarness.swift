import Foundation
import Synchronization
import Gateway
import GatewayProtocol
import GatewayTestKit
import Reminders
import SMS
import TestSupport
import XCTest

/// An in-process gateway with Reminders and the fake services on a test clock, and the few things every test does:
/// seed users through the backend's route, make them active by connecting, seed other modules' rows, and run a job
/// (on schedule by moving the clock, or by hand through the admin route) and wait for its recorded end.
final class RemindersHarness {
    static let serviceToken = ModuleTestGateway.token(sub: "backend", role: "service")
    static let adminToken = ModuleTestGateway.token(sub: "ops", role: "admin")
    static let minuteMs: Int64 = 60_000
    static let hourMs: Int64 = 3_600_000
    static let dayMs: Int64 = 86_400_000

    let clock: ManualSchedulerClock
    let gateway: ModuleTestGateway

    /// `realSMS`: the SMS module itself (console provider) instead of the fake SMS service and the fake tables.
    init(startMs: Int64, reminders: [String: ConfigValue] = [:], fakeTables: Bool = true, realSMS: Bool = false) throws {
        FakeServices.reset()
        clock = ManualSchedulerClock(nowMs: startMs)
        let modules: [any GatewayModule.Type] = realSMS ? [FakeServices.self, SMSModule.self, RemindersModule.self]
                                                        : [FakeServices.self, RemindersModule.self]
        gateway = try ModuleTestGateway(modules: modules, clock: clock) {
            $0.modules["reminders"] = .init(raw: reminders)
            $0.modules["fakes"] = .init(raw: ["tables": .bool(fakeTables && !realSMS), "sms": .bool(!realSMS)])
        }
    }

    func stop() { gateway.stop() }

    /// `PUT /internal/users/:id` as the main backend sends it.
    func putUser(_ id: String, _ json: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let response = try gateway.request("PUT", "/internal/users/\(id)", token: Self.serviceToken, body: json)
        XCTAssertEqual(response.status, 200, response.bodyText, file: file, line: line)
    }

    /// Connects and leaves, as a user opening the app: the directory marks them active at the test clock's now.
    func visit(_ id: String) throws {
        let socket = try gateway.join(sub: id)
        socket.close()
    }

    @discardableResult
    func sql(_ text: String, _ parameters: [SQLValue] = []) throws -> [SQLRow] {
        let database = try XCTUnwrap(FakeServices.context.withLock { $0 }).database
        return try Self.blocking { try await database.query(text, parameters) }
    }

    func workout(_ userId: String, atMs: Int64, minutes: Double, calories: Double) throws {
        try sql("""
            INSERT INTO notifications_workouts (user_id, exercise_name, duration_minutes, calories, performed_at, recorded_at,
                notification_id) VALUES (?, 'run', ?, ?, ?, ?, 0)
            """, [.text(userId), .real(minutes), .real(calories), .integer(atMs), .integer(atMs)])
    }

    /// Moves the clock to `atMs`, a time `job` is due, and waits for that run to be recorded as ended; its `lastRun`.
    /// Due times passed on the way run once, coalesced, at the first of them (the scheduler's rule), before `atMs`.
    @discardableResult
    func runScheduled(_ job: String, atMs: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        advance(toMs: atMs - 1)
        XCTAssertTrue(waitUntil { self.clock.sleepingUntil.contains(atMs) }, "the scheduler is not waiting for \(atMs)",
                      file: file, line: line)
        clock.advance(toMs: atMs)
        var last: JSONValue?
        let ended = waitUntil(timeoutSeconds: 10) {
            last = try? self.lastRun(job)
            return last?["scheduledAtMs"]?.intValue == Int(atMs) && last?["endedAtMs"]?.isNull == false
        }
        XCTAssertTrue(ended, "\(job) did not run at \(atMs): \(String(describing: last))", file: file, line: line)
        _ = waitUntil { self.idle() }
        return last ?? .null
    }

    /// Moves the clock (jobs due on the way run once, coalesced) and waits until the scheduler sleeps again with nothing
    /// running.
    func advance(toMs target: Int64) {
        guard clock.nowMs() < target else { return }
        _ = waitUntil { !self.clock.sleepingUntil.isEmpty }
        clock.advance(toMs: target)
        _ = waitUntil(timeoutSeconds: 10) { self.clock.sleepingUntil.contains { $0 > target } && self.idle() }
    }

    private func idle() -> Bool {
        (try? jobs().allSatisfy { $0["running"]?.boolValue == false }) ?? false
    }

    /// A minute later, `POST /admin/jobs/reminders.<job>/run` (a run is recorded by its time: two by hand at one instant
    /// would be one run), then waits for that run's end; its `lastRun`.
    @discardableResult
    func trigger(_ job: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        advance(toMs: clock.nowMs() + Self.minuteMs)
        let answer = try gateway.request("POST", "/admin/jobs/reminders.\(job)/run", token: Self.adminToken)
        XCTAssertEqual(answer.status, 202, answer.bodyText, file: file, line: line)
        let started = try JSONValue.parse(answer.bodyText)["startedAtMs"]?.intValue
        var last: JSONValue?
        let ended = waitUntil(timeoutSeconds: 10) {
            last = try? self.lastRun(job)
            return last?["manual"]?.boolValue == true && last?["startedAtMs"]?.intValue == started && last?["endedAtMs"]?.isNull == false
        }
        XCTAssertTrue(ended, "\(job) did not end: \(String(describing: last))", file: file, line: line)
        return last ?? .null
    }

    func jobs() throws -> [JSONValue] {
        let response = try gateway.request("GET", "/admin/jobs", token: Self.adminToken)
        return try JSONValue.parse(response.bodyText).arrayValue ?? []
    }

    func lastRun(_ job: String) throws -> JSONValue? {
        try jobs().first { $0["job"]?.stringValue == "reminders.\(job)" }?["lastRun"]
    }

    /// The notifications of `type` sent so far, by user.
    func notifications(_ type: String) -> [(atMs: Int64, request: NotificationRequest)] {
        FakeServices.sent.withLock { $0.notifications.filter { $0.request.type == type } }
    }

    func notified(_ type: String) -> [String] { notifications(type).map(\.request.userId).sorted() }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let value = try await body()
                result.withLock { $0 = .success(value) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// Unix ms of a UTC wall time.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
        var components = DateComponents()
        (components.year, components.month, components.day, components.hour, components.minute) = (year, month, day, hour, minute)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int64(calendar.date(from: components)!.timeIntervalSince1970 * 1000)
    }
}

/// The counts of a run's record.
extension JSONValue {
    func count(_ name: String) -> Int { self["counts"]?[name]?.intValue ?? 0 }
}
