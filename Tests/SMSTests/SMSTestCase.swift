import EventLoop
import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
import SMS
import TestSupport
import XCTest

/// A gateway with the SMS module (and the probe) whose Twilio is a local HTTPS fake trusted through
/// `httpClient.caFile`; short retry delays and a short Twilio timeout keep the failure cases quick.
class SMSTestCase: XCTestCase {
    var directory = ""
    var twilio: FakeTwilio!
    var gateway: ModuleTestGateway!
    static let admin = ModuleTestGateway.token(sub: "admin-1", role: "admin")
    static let service = ModuleTestGateway.token(sub: "backend", role: "service")
    static let user = ModuleTestGateway.token(sub: "user-1")

    /// Overrides of `modules.sms` for one test class.
    var smsSettings: [String: ConfigValue] { [:] }

    override func setUpWithError() throws {
        SMSProbeModule.notifications.withLock { $0 = [] }
        directory = try TestCertificates.makeTemporaryDirectory()
        let certificate = try TestCertificates.make(commonName: "localhost", dnsNames: ["localhost"], in: directory)
        twilio = try FakeTwilio(certificate: certificate)
        var section: [String: ConfigValue] = [
            "twilio": .object(["accountSid": .string(FakeTwilio.accountSID), "authToken": .string(FakeTwilio.authToken),
                               "from": "+15005550006", "baseURL": .string(twilio.baseURL), "timeoutMs": 400]),
            "retry": .object(["maxAttempts": 3, "baseDelayMs": 5, "maxDelayMs": 20]),
            "publicBaseURL": "https://gw.fitmate.test",
            "appURL": "https://fitmate.test",
        ]
        for (key, value) in smsSettings { section[key] = value }
        gateway = try ModuleTestGateway(modules: [SMSModule.self, SMSProbeModule.self]) { configuration in
            configuration.httpClient.caFile = certificate.certificatePath
            configuration.modules["sms"] = .init(raw: section)
        }
    }

    override func tearDown() {
        gateway?.stop()
        twilio?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var probe: any ModuleContext { SMSProbeModule.context.withLock { $0! } }

    func post(_ path: String, _ body: String, token: String? = SMSTestCase.service) throws -> TestHTTPResponse {
        try gateway.request("POST", path, token: token, body: body)
    }

    /// A request with any header fields (form bodies, signatures), which the kit's `request` does not send.
    func raw(_ method: String, _ path: String, headers: [(String, String)], body: String) throws -> TestHTTPResponse {
        let socket = try BlockingSocket(port: gateway.port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(gateway.port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        try socket.send(head + body)
        guard let response = TestHTTPResponse.parse(try socket.receiveUntilClose()) else { throw TestError("no HTTP response") }
        return response
    }

    func json(_ response: TestHTTPResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    /// Rows of the module's message log, through the gateway's own storage.
    func messages() async throws -> [SQLRow] {
        try await probe.database.query("SELECT * FROM sms_messages ORDER BY id", [])
    }

    func metrics() throws -> String {
        try gateway.request("GET", "/metrics", token: Self.admin).bodyText
    }
}

/// Literals for configuration sections written in the tests.
extension ConfigValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
}
