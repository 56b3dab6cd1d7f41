import Chat
import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// A gateway with the Chat module and the notifications probe; helpers to create rooms and to talk as users.
class ChatTestCase: XCTestCase {
    var gateway: ModuleTestGateway!
    static let service = ModuleTestGateway.token(sub: "backend", role: "service")
    static let admin = ModuleTestGateway.token(sub: "admin-1", role: "admin")
    var clients: [ChatPeer] = []

    /// Overrides of `modules.chat` for one test class.
    var chatSettings: [String: ConfigValue] { [:] }
    var modules: [any GatewayModule.Type] { [ChatModule.self, ChatProbeModule.self] }
    var clock: (any SchedulerClock)? { nil }

    override func setUpWithError() throws {
        ChatProbeModule.notifications.withLock { $0 = [] }
        gateway = try startGateway()
    }

    func startGateway(dataDir: String? = nil) throws -> ModuleTestGateway {
        let settings = chatSettings
        return try ModuleTestGateway(modules: modules, dataDir: dataDir, clock: clock) { configuration in
            configuration.modules["chat"] = .init(raw: settings)
        }
    }

    override func tearDown() {
        for client in clients { client.client.close() }
        gateway?.stop()
    }

    @discardableResult
    func createRoom(_ id: String, members: [String], name: String? = nil) throws -> TestHTTPResponse {
        let list = members.map { "\"\($0)\"" }.joined(separator: ",")
        let nameField = name.map { ",\"name\":\"\($0)\"" } ?? ""
        let response = try gateway.request("POST", "/internal/chat/rooms", token: Self.service,
                                           body: "{\"chatRoomId\":\"\(id)\",\"members\":[\(list)]\(nameField)}")
        XCTAssertEqual(response.status, 201, response.bodyText)
        return response
    }

    /// A connected user; `name`, `email` and `picture` claims fill the users directory at connect.
    func connect(_ user: String, role: String = "user", name: String? = nil) throws -> ChatPeer {
        var extra: JSONObject = [:]
        if let name {
            extra["name"] = .string(name)
            extra["email"] = .string("\(user)@fitmate.test")
            extra["picture"] = .string("https://img.fitmate.test/\(user).png")
        }
        let peer = ChatPeer(client: try gateway.join(sub: user, role: role, extra: extra))
        clients.append(peer)
        return peer
    }

    /// Connects and joins `room`, reading the history it is sent.
    func joined(_ user: String, _ room: String, role: String = "user", name: String? = nil) throws -> (ChatPeer, JSONValue) {
        let peer = try connect(user, role: role, name: name)
        let ack = try peer.call("joinChat", ["chatRoomId": .string(room)])
        XCTAssertEqual(ack["success"], true, "\(ack)")
        return (peer, try peer.event("chatHistory"))
    }

    func token(_ user: String, role: String = "user") -> String { ModuleTestGateway.token(sub: user, role: role) }

    func json(_ response: TestHTTPResponse) throws -> JSONValue { try JSONValue.parse(response.bodyText) }

    var notifications: [NotificationRequest] { ChatProbeModule.notifications.withLock { $0 } }
}

/// One user's socket: keeps every frame it did not ask for yet, so reading one event never loses another.
final class ChatPeer {
    let client: RawSocketIOClient
    private var pending: [String] = []
    private var nextAckId = 1

    init(client: RawSocketIOClient) { self.client = client }

    /// The next `event`'s first argument.
    func event(_ name: String, timeoutSeconds: Double = 5, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        guard let frame = take(timeoutSeconds: timeoutSeconds, { $0.hasPrefix("42[\"\(name)\"") }) else {
            XCTFail("no \(name) event; unread: \(pending)", file: file, line: line)
            throw TestError("no \(name) event")
        }
        return try JSONValue.parse(String(frame.dropFirst(2)))[1] ?? .null
    }

    /// Whether `event` arrives within `seconds` (for what must not be delivered).
    func receives(_ name: String, within seconds: Double = 0.3) -> Bool {
        take(timeoutSeconds: seconds, { $0.hasPrefix("42[\"\(name)\"") }) != nil
    }

    /// Emits with an ack and returns the ack's first argument.
    func call(_ name: String, _ payload: JSONValue) throws -> JSONValue {
        let id = nextAckId
        nextAckId += 1
        client.send("42\(id)[\"\(name)\",\(payload)]")
        guard let frame = take(timeoutSeconds: 5, { $0.hasPrefix("43\(id)[") }) else { throw TestError("no ack for \(name)") }
        return try JSONValue.parse(String(frame.dropFirst(2 + String(id).count)))[0] ?? .null
    }

    /// Emits without an ack.
    func emit(_ name: String, _ payload: JSONValue) {
        client.send("42[\"\(name)\",\(payload)]")
    }

    private func take(timeoutSeconds: Double, _ predicate: (String) -> Bool) -> String? {
        if let index = pending.firstIndex(where: predicate) { return pending.remove(at: index) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            guard let frame = client.next(timeoutSeconds: max(0.01, deadline.timeIntervalSinceNow)) else { return nil }
            guard case .text(let text) = frame else { continue }
            if predicate(text) { return text }
            pending.append(text)
        }
        return nil
    }
}

extension ConfigValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}
