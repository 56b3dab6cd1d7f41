import XCTest
@testable import Gateway

/// The `httpClient.*` options: defaults, environment names, and the edges of each limit.
final class OutboundHTTPConfigurationTests: ConfigurationTestCase {
    func testDefaults() throws {
        let settings = try load().httpClient
        XCTAssertEqual(settings, GatewayConfiguration.HTTPClientSettings(), "the table and the struct agree")
        XCTAssertEqual(settings.timeoutMs, 10_000)
        XCTAssertEqual(settings.connectTimeoutMs, 5_000)
        XCTAssertEqual(settings.maxConcurrent, 64)
        XCTAssertEqual(settings.maxQueued, 1_024)
        XCTAssertEqual(settings.maxResponseBytes, 1_048_576)
        XCTAssertNil(settings.caFile)
    }

    func testEnvironmentAndFile() throws {
        let settings = try load(file: #"{"httpClient": {"maxQueued": 0, "caFile": "/etc/ca.pem", "timeoutMs": "2s"}}"#, env: [
            "GATEWAY_HTTP_CLIENT_TIMEOUT_MS": "1500ms", "GATEWAY_HTTP_CLIENT_CONNECT_TIMEOUT_MS": "1",
            "GATEWAY_HTTP_CLIENT_MAX_CONCURRENT": "1", "GATEWAY_HTTP_CLIENT_MAX_RESPONSE_BYTES": "1",
        ]).httpClient
        XCTAssertEqual(settings.timeoutMs, 1_500, "the environment overrides the file")
        XCTAssertEqual(settings.connectTimeoutMs, 1)
        XCTAssertEqual(settings.maxConcurrent, 1)
        XCTAssertEqual(settings.maxQueued, 0)
        XCTAssertEqual(settings.maxResponseBytes, 1)
        XCTAssertEqual(settings.caFile, "/etc/ca.pem")
        XCTAssertEqual(try load(env: ["GATEWAY_HTTP_CLIENT_CA_FILE": "/x.pem"]).httpClient.caFile, "/x.pem")
    }

    func testValuesBeyondTheEdgesAreRefused() throws {
        let problems = try problems(env: [
            "GATEWAY_HTTP_CLIENT_TIMEOUT_MS": "0", "GATEWAY_HTTP_CLIENT_CONNECT_TIMEOUT_MS": "0",
            "GATEWAY_HTTP_CLIENT_MAX_CONCURRENT": "0", "GATEWAY_HTTP_CLIENT_MAX_QUEUED": "-1",
            "GATEWAY_HTTP_CLIENT_MAX_RESPONSE_BYTES": "0",
        ])
        assertProblem(problems, contains: "httpClient.timeoutMs: must be a duration in 1...86400000 ms", "GATEWAY_HTTP_CLIENT_TIMEOUT_MS")
        assertProblem(problems, contains: "httpClient.connectTimeoutMs: must be a duration in 1...86400000 ms")
        assertProblem(problems, contains: "httpClient.maxConcurrent: must be an integer in 1...100000", #"got "0""#)
        assertProblem(problems, contains: "httpClient.maxQueued: must be an integer in 0...1000000", #"got "-1""#)
        assertProblem(problems, contains: "httpClient.maxResponseBytes: must be a positive integer", #"got "0""#)
        XCTAssertEqual(problems.count, 5, "\(problems)")
    }

    func testHelpListsTheOptions() {
        let help = GatewayCommandLine.helpText()
        for key in ["httpClient.timeoutMs", "httpClient.maxConcurrent", "httpClient.maxQueued", "httpClient.caFile",
                    "GATEWAY_HTTP_CLIENT_MAX_RESPONSE_BYTES"] {
            XCTAssertTrue(help.contains(key), key)
        }
    }
}
