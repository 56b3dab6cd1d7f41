@testable import Gateway
import Foundation
import GatewayProtocol
import GatewayTestKit
@testable import Notifications
import Synchronization
import TestSupport
import XCTest

/// A stand-in for the SMS module: records what it was asked to send.
struct FakeSMSModule: GatewayModule {
    static let name = "fake-sms"
    static let contractVersion = ContractVersion(major: 0, minor: 3)
    static let sent = Mutex<[SMSRequest]>([])

    struct Sender: SMSSending {
        func send(_ request: SMSRequest) async throws -> SMSReceipt {
            let count = FakeSMSModule.sent.withLock { $0.append(request); return $0.count }
            return SMSReceipt(id: "sms-\(count)", status: "queued")
        }
    }

    init(setup: any ModuleSetup) throws {
        setup.provide(WellKnownServices.sms, Sender() as any SMSSending)
    }
}

let serviceToken = ModuleTestGateway.token(sub: "main-backend", role: "service")
let adminToken = ModuleTestGateway.token(sub: "ops", role: "admin")
func userToken(_ sub: String) -> String { ModuleTestGateway.token(sub: sub) }

extension ModuleTestGateway {
    /// POST /internal/notifications as the main backend; the created notification's id.
    @discardableResult
    func createNotification(for userId: String, title: String = "Hello", message: String = "A message",
                            type: String = "system", extra: String = "") throws -> String {
        let response = try request("POST", "/internal/notifications", token: serviceToken, body:
            #"{"userId":"\#(userId)","title":"\#(title)","message":"\#(message)","type":"\#(type)"\#(extra)}"#)
        guard response.status == 201, let id = try json(response.bodyText)["id"]?.stringValue else {
            throw TestError("create failed: \(response.status) \(response.bodyText)")
        }
        return id
    }

    /// Joins and waits for the count sent at connect.
    func joinCounted(_ sub: String, extra: JSONObject = [:]) throws -> (RawSocketIOClient, Int) {
        let client = try join(sub: sub, extra: extra)
        guard let event = client.nextEvent("unreadNotificationCount"), let count = try json(event)[1]?.intValue else {
            throw TestError("no unreadNotificationCount at connect")
        }
        return (client, count)
    }

    func unreadCount(_ sub: String) throws -> Int? {
        try json(request("GET", "/notifications/unread-count", token: userToken(sub)).bodyText)["unreadCount"]?.intValue
    }

    func list(_ sub: String, query: String = "") throws -> (status: Int, body: JSONValue) {
        let response = try request("GET", "/notifications" + query, token: userToken(sub))
        return (response.status, try json(response.bodyText))
    }

    func metricsText() throws -> String { try request("GET", "/metrics", token: adminToken).bodyText }

    func setUser(_ id: String, _ body: String) throws {
        let response = try request("PUT", "/internal/users/\(id)", token: serviceToken, body: body)
        guard response.status == 200 else { throw TestError("PUT user: \(response.status) \(response.bodyText)") }
    }

    var database: any Database { gateway.modules!.runtime.database }

    /// Runs a module's declared job once, now, as the scheduler would.
    func runJob(module: String, _ name: String) async throws -> JobOutcome {
        guard let job = gateway.modules!.hosts.first(where: { $0.name == module })?.declarations.jobs
            .first(where: { $0.name == name }) else { throw TestError("no job \(module).\(name)") }
        let now = nowMs()
        return try await job.run(JobRun(scheduledAtMs: now, startedAtMs: now, triggeredManually: true))
    }
}

extension RawSocketIOClient {
    /// The next `count` events (`42[…]` frames) in arrival order, as JSON arrays; only the gateway's presence
    /// announcements (`userOnline`, `userOffline`, sent whenever any user comes or goes) are skipped.
    func events(_ count: Int, timeoutSeconds: Double = 5) throws -> [JSONValue] {
        var events: [JSONValue] = []
        while events.count < count {
            guard let frame = next(timeoutSeconds: timeoutSeconds) else { throw TestError("only \(events.count) of \(count) events arrived") }
            if case .text(let text) = frame, text.hasPrefix("42"), !Self.isPresence(text) {
                events.append(try json(String(text.dropFirst(2))))
            }
        }
        return events
    }

    /// Emits with an ack and returns it with the events that arrived before it (`emitWithAck` would drop those).
    func ack(_ event: String, _ json: String = "", id: Int, timeoutSeconds: Double = 5) throws -> (ack: String, events: [JSONValue]) {
        send("42\(id)[\"\(event)\"\(json.isEmpty ? "" : "," + json)]")
        var events: [JSONValue] = []
        while let frame = next(timeoutSeconds: timeoutSeconds) {
            guard case .text(let text) = frame else { continue }
            if text.hasPrefix("43\(id)[") { return (String(text.dropFirst(2 + String(id).count)), events) }
            if text.hasPrefix("42"), !Self.isPresence(text) { events.append(try NotificationsTests.json(String(text.dropFirst(2)))) }
        }
        throw TestError("no ack \(id) for \(event)")
    }

    static func isPresence(_ frame: String) -> Bool { frame.hasPrefix(#"42["userOnline""#) || frame.hasPrefix(#"42["userOffline""#) }

    /// Events that arrive within `seconds` (to check that nothing more comes).
    func eventsWithin(_ seconds: Double) throws -> [JSONValue] {
        Thread.sleep(forTimeInterval: seconds)
        return try drain().compactMap { frame in
            guard case .text(let text) = frame, text.hasPrefix("42"), !Self.isPresence(text) else { return nil }
            return try json(String(text.dropFirst(2)))
        }
    }
}

func json(_ text: String) throws -> JSONValue { try JSONValue.parse(bytes: Array(text.utf8)) }

/// Wall-clock Unix milliseconds, as the gateway's clock reads them.
func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
