import Chat
import Gateway
import GatewayProtocol
import GatewayTestKit
import XCTest

/// A wrong configuration stops the start-up with the key to fix.
final class ChatConfigurationTests: XCTestCase {
    func startFailure(_ section: [String: ConfigValue]) -> String {
        do {
            let gateway = try ModuleTestGateway(modules: [ChatModule.self]) { $0.modules["chat"] = .init(raw: section) }
            gateway.stop()
            return "started"
        } catch {
            return "\(error)"
        }
    }

    func testWrongValuesNameTheirKey() {
        XCTAssertTrue(startFailure(["maxMessageLength": 0]).contains("maxMessageLength: must be an integer ≥ 1, got 0"))
        XCTAssertTrue(startFailure(["rateLimit": .object(["burst": "many"])]).contains(#"rateLimit.burst: must be an integer ≥ 1, got "many""#))
        XCTAssertTrue(startFailure(["rateLimit": 5]).contains("rateLimit: must be an object"))
        XCTAssertTrue(startFailure(["defaultPageSize": 30, "maxPageSize": 20]).contains("defaultPageSize: must be at most maxPageSize (20)"))
        XCTAssertTrue(startFailure(["notificationTitle": 1]).contains("notificationTitle: must be a string"))
        XCTAssertEqual(startFailure(["maxMessageLength": 1, "historyLimit": 1]), "started")
    }
}
