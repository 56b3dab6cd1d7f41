import GatewayProtocol
import XCTest

/// `onSync` arrived in 0.5 as a protocol requirement with a default: a `ModuleSetup` written before it (this one
/// implements only `on`) still takes such handlers, through `on`, with the same results and errors.
final class ModuleSetupTests: XCTestCase {
    func testHandlersThatNeverSuspendReachASetupThatPredatesThemThroughOn() async throws {
        let setup = SetupBefore05()
        setup.onSync("echo") { $0.arguments }
        setup.onSync("shout", as: Shout.self) { _, payload in payload.text.uppercased() }
        setup.onSync("refuse", namespace: "/coach") { _ in throw ModuleError("no", code: "nope") }
        XCTAssertEqual(setup.events.map(\.key), ["/ echo", "/ shout", "/coach refuse"])

        let echo = try await setup.handler("/ echo")(Self.context(["a", 1]))
        XCTAssertEqual(echo.values, ["a", 1])
        let shout = try await setup.handler("/ shout")(Self.context([["text": "hi"]]))
        XCTAssertEqual(shout.values, ["HI"])
        do {
            _ = try await setup.handler("/ shout")(Self.context([["txt": "hi"]]))
            XCTFail("a payload that does not decode is refused")
        } catch let error as ModuleError {
            XCTAssertEqual(error.code, "invalid_payload")
        }
        do {
            _ = try await setup.handler("/coach refuse")(Self.context([]))
            XCTFail("the handler's error comes through")
        } catch let error as ModuleError {
            XCTAssertEqual(error.code, "nope")
        }
    }

    private struct Shout: Decodable, Sendable { let text: String }

    private static func context(_ arguments: [JSONValue]) -> EventContext {
        EventContext(name: "e", socket: SocketInfo(id: "s", namespace: "/", user: Identity(userId: "u", role: "user"),
                                                   remoteAddress: "127.0.0.1:1"),
                     arguments: EventArguments(arguments), wantsAck: true)
    }
}

/// Implements the requirements of 0.4 only.
private final class SetupBefore05: ModuleSetup, @unchecked Sendable {
    var events: [(key: String, handler: EventHandler)] = []
    var configuration: JSONObject { [:] }
    var context: any ModuleContext { fatalError("not used") }
    func migrations(_ migrations: [Migration]) {}
    func on(_ event: String, namespace: String, _ handler: @escaping EventHandler) {
        events.append(("\(namespace) \(event)", handler))
    }
    func onConnect(namespace: String, _ handler: @escaping ConnectHandler) {}
    func onDisconnect(namespace: String, _ handler: @escaping DisconnectHandler) {}
    func route(_ method: String, _ path: String, access: RouteAccess, _ handler: @escaping RouteHandler) {}
    func job(_ spec: JobSpec) {}
    func provide<Service: Sendable>(_ key: ServiceKey<Service>, _ service: Service) {}
    func handler(_ key: String) -> EventHandler { events.first { $0.key == key }!.handler }
}
