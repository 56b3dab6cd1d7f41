import Foundation
import XCTest
@testable import Gateway

/// Shared helpers: temporary config files and assertions on the collected problems.
class ConfigurationTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gw-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func writeFile(_ json: String, name: String = "gateway.json") throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return url.path
    }

    func load(file json: String? = nil, env: [String: String] = [:],
              flags: [String: String] = [:]) throws -> GatewayConfiguration {
        let path = try json.map { try writeFile($0) }
        return try GatewayCommandLine.load(configPath: path, environment: env, flagOverrides: flags)
    }

    /// Loads expecting failure and returns the problems.
    func problems(file json: String? = nil, path: String? = nil, env: [String: String] = [:],
                  flags: [String: String] = [:], line: UInt = #line) throws -> [String] {
        let configPath = try path ?? json.map { try writeFile($0) }
        do {
            let configuration = try GatewayCommandLine.load(configPath: configPath, environment: env,
                                                            flagOverrides: flags)
            XCTFail("expected a configuration error, got \(configuration)", line: line)
            return []
        } catch {
            XCTAssertFalse(error.problems.isEmpty, line: line)
            return error.problems
        }
    }

    func assertProblem(_ problems: [String], contains parts: String..., line: UInt = #line) {
        XCTAssert(problems.contains { problem in parts.allSatisfy { problem.contains($0) } },
                  "no problem containing \(parts) in \(problems)", line: line)
    }
}

final class ConfigurationLoadTests: ConfigurationTestCase {
    func testZeroConfigurationGivesDefaults() throws {
        let c = try GatewayCommandLine.load(configPath: nil, environment: [:], flagOverrides: [:])
        XCTAssertEqual(c.host, "0.0.0.0")
        XCTAssertEqual(c.port, 3000)
        XCTAssertEqual(c.loops, 0)
        XCTAssertGreaterThanOrEqual(c.resolvedLoopCount, 1)
        XCTAssertEqual(c.dataDir, "./data")
        XCTAssertEqual(c.logLevel, .info)
        XCTAssertEqual(c.maxConnections, 100_000)
        XCTAssertEqual(c.shutdownTimeoutMs, 10_000)
        XCTAssertNil(c.tls)
        XCTAssertEqual(c.http, .init(maxRequestLineBytes: 8192, maxHeaderBytes: 16_384, maxHeaderCount: 100,
                                     maxBodyBytes: 1_000_000, headerTimeoutMs: 10_000, idleTimeoutMs: 30_000,
                                     compressionThresholdBytes: 1024, corsOrigins: ["http://localhost:5173"],
                                     corsCredentials: true))
        XCTAssertEqual(c.connection, .init(writeHighWatermarkBytes: 65_536, writeLowWatermarkBytes: 16_384,
                                           maxWriteBufferBytes: 4_194_304))
        XCTAssertEqual(c.modules, [:])
        XCTAssertEqual(GatewayConfiguration(), c)
    }

    func testUnrelatedEnvironmentIsIgnored() throws {
        let c = try load(env: ["PATH": "/bin", "HOME": "/root", "GATEWAY_TOKEN_SECRET": "x"])
        XCTAssertEqual(c, GatewayConfiguration())
    }

    func testEveryDefaultPassesItsOwnValidation() {
        // A default its own option refuses would make the zero-configuration start fail.
        for spec in GatewayOptions.all {
            guard let value = spec.defaultValue else { continue }
            XCTAssertNil(spec.validate?(value), spec.key)
        }
    }

    func testFileValues() throws {
        let c = try load(file: """
        {
          "host": "127.0.0.1", "port": 8080, "loops": 4, "dataDir": "/var/lib/fitmate", "logLevel": "debug",
          "maxConnections": 500, "shutdownTimeoutMs": "30s",
          "tls": {
            "certificate": "certs/a.pem", "key": "certs/a.key",
            "sni": [{"certificate": "b.pem", "key": "b.key"}],
            "handshakeTimeoutMs": 5000, "redirectPort": 8081, "hstsMaxAgeSeconds": 0
          },
          "http": {
            "maxRequestLineBytes": 4096, "maxHeaderBytes": 8192, "maxHeaderCount": 50, "maxBodyBytes": 2000000,
            "headerTimeoutMs": 5000, "idleTimeoutMs": "1m", "compressionThresholdBytes": 0,
            "cors": {"origins": ["https://app.example.com", "http://localhost:3001"], "credentials": false}
          },
          "connection": {"writeHighWatermarkBytes": 1000, "writeLowWatermarkBytes": 999, "maxWriteBufferBytes": 1000}
        }
        """)
        XCTAssertEqual(c.host, "127.0.0.1")
        XCTAssertEqual(c.port, 8080)
        XCTAssertEqual(c.loops, 4)
        XCTAssertEqual(c.resolvedLoopCount, 4)
        XCTAssertEqual(c.dataDir, "/var/lib/fitmate")
        XCTAssertEqual(c.logLevel, .debug)
        XCTAssertEqual(c.maxConnections, 500)
        XCTAssertEqual(c.shutdownTimeoutMs, 30_000)
        XCTAssertEqual(c.tls, .init(certificate: "certs/a.pem", key: "certs/a.key",
                                    sni: [.init(certificate: "b.pem", key: "b.key")],
                                    handshakeTimeoutMs: 5000, redirectPort: 8081, hstsMaxAgeSeconds: 0))
        XCTAssertEqual(c.http, .init(maxRequestLineBytes: 4096, maxHeaderBytes: 8192, maxHeaderCount: 50,
                                     maxBodyBytes: 2_000_000, headerTimeoutMs: 5000, idleTimeoutMs: 60_000,
                                     compressionThresholdBytes: 0,
                                     corsOrigins: ["https://app.example.com", "http://localhost:3001"],
                                     corsCredentials: false))
        XCTAssertEqual(c.connection, .init(writeHighWatermarkBytes: 1000, writeLowWatermarkBytes: 999,
                                           maxWriteBufferBytes: 1000))
    }

    func testPartialFileKeepsOtherDefaultsAndNullMeansUnset() throws {
        let c = try load(file: #"{"http": {"maxBodyBytes": 5}, "tls": null, "dataDir": null}"#)
        XCTAssertEqual(c.http.maxBodyBytes, 5)
        XCTAssertEqual(c.http.maxHeaderBytes, 16_384)
        XCTAssertEqual(c.dataDir, "./data")
        XCTAssertNil(c.tls)
    }

    func testEnvironmentOverridesFile() throws {
        let c = try load(
            file: #"{"port": 8080, "host": "127.0.0.1", "http": {"maxBodyBytes": 10, "cors": {"origins": ["http://a.test"]}}}"#,
            env: ["GATEWAY_PORT": "9090", "GATEWAY_MAX_BODY_BYTES": "20",
                  "GATEWAY_CORS_ORIGINS": " https://x.test , *,", "GATEWAY_LOG_LEVEL": "WARNING",
                  "GATEWAY_SHUTDOWN_TIMEOUT_MS": "2s", "GATEWAY_HOST": ""])
        XCTAssertEqual(c.port, 9090)
        XCTAssertEqual(c.http.maxBodyBytes, 20)
        XCTAssertEqual(c.http.corsOrigins, ["https://x.test", "*"])
        XCTAssertEqual(c.logLevel, .warning)
        XCTAssertEqual(c.shutdownTimeoutMs, 2000)
        XCTAssertEqual(c.host, "127.0.0.1", "an empty variable counts as unset")
    }

    func testEveryEnvironmentVariableIsRead() throws {
        let env = [
            "GATEWAY_HOST": "::", "GATEWAY_PORT": "1", "GATEWAY_LOOPS": "256", "GATEWAY_DATA_DIR": "d",
            "GATEWAY_LOG_LEVEL": "error", "GATEWAY_MAX_CONNECTIONS": "7", "GATEWAY_SHUTDOWN_TIMEOUT_MS": "0",
            "GATEWAY_TLS_CERT": "c.pem", "GATEWAY_TLS_KEY": "k.pem", "GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS": "1",
            "GATEWAY_HTTP_REDIRECT_PORT": "80", "GATEWAY_HSTS_MAX_AGE": "60", "GATEWAY_MAX_BODY_BYTES": "3",
            "GATEWAY_CORS_ORIGINS": "*", "GATEWAY_WS_ECHO_PATH": "/ws-echo",
            "GATEWAY_SOCKETIO_PATH": "/rt/", "GATEWAY_SOCKETIO_STATE_RECOVERY": "true",
            "GATEWAY_JWT_SECRET_FILE": "s.txt", "GATEWAY_JWT_PUBLIC_KEY_FILE": "p.pem", "GATEWAY_JWT_KEY_ID": "k",
            "GATEWAY_JWKS_URL": "https://id.test/jwks", "GATEWAY_JWT_ISSUER": "i", "GATEWAY_JWT_AUDIENCE": "a",
            "GATEWAY_JWT_LEEWAY_SECONDS": "9", "GATEWAY_JWT_SECRET": String(repeating: "x", count: 32),
            "GATEWAY_HTTP_CLIENT_TIMEOUT_MS": "11", "GATEWAY_HTTP_CLIENT_CONNECT_TIMEOUT_MS": "12",
            "GATEWAY_HTTP_CLIENT_MAX_CONCURRENT": "13", "GATEWAY_HTTP_CLIENT_MAX_QUEUED": "14",
            "GATEWAY_HTTP_CLIENT_MAX_RESPONSE_BYTES": "15", "GATEWAY_HTTP_CLIENT_CA_FILE": "ca.pem",
            "GATEWAY_STORAGE_PATH": "db.sqlite3", "GATEWAY_STORAGE_SYNCHRONOUS": "full",
            "GATEWAY_STORAGE_READERS": "3", "GATEWAY_STORAGE_MAX_BATCH": "4", "GATEWAY_STORAGE_BUSY_TIMEOUT_MS": "5",
            "GATEWAY_STORAGE_STATEMENT_CACHE_SIZE": "6",
        ]
        XCTAssertEqual(Set(env.keys), Set(GatewayOptions.all.compactMap(\.env)), "the test covers every env var")
        let c = try load(env: env)
        XCTAssertEqual(c.host, "::")
        XCTAssertEqual(c.port, 1)
        XCTAssertEqual(c.loops, 256)
        XCTAssertEqual(c.dataDir, "d")
        XCTAssertEqual(c.logLevel, .error)
        XCTAssertEqual(c.maxConnections, 7)
        XCTAssertEqual(c.shutdownTimeoutMs, 0)
        XCTAssertEqual(c.tls, .init(certificate: "c.pem", key: "k.pem", sni: [], handshakeTimeoutMs: 1,
                                    redirectPort: 80, hstsMaxAgeSeconds: 60))
        XCTAssertEqual(c.http.maxBodyBytes, 3)
        XCTAssertEqual(c.http.corsOrigins, ["*"])
        XCTAssertEqual(c.websocket.echoPath, "/ws-echo")
        XCTAssertEqual(c.socketio.path, "/rt/")
        XCTAssertTrue(c.socketio.stateRecovery)
        XCTAssertEqual(c.auth.secretFile, "s.txt")
        XCTAssertEqual(c.auth.publicKeyFile, "p.pem")
        XCTAssertEqual(c.auth.keyId, "k")
        XCTAssertEqual(c.auth.jwksUrl, "https://id.test/jwks")
        XCTAssertEqual(c.auth.issuer, "i")
        XCTAssertEqual(c.auth.audience, ["a"])
        XCTAssertEqual(c.auth.leewaySeconds, 9)
        XCTAssertEqual(c.auth.secret, String(repeating: "x", count: 32))
        XCTAssertEqual([c.httpClient.timeoutMs, c.httpClient.connectTimeoutMs, c.httpClient.maxConcurrent,
                        c.httpClient.maxQueued, c.httpClient.maxResponseBytes], [11, 12, 13, 14, 15])
        XCTAssertEqual(c.httpClient.caFile, "ca.pem")
        XCTAssertEqual(c.resolvedStoragePath, "db.sqlite3")
        XCTAssertEqual(c.storage.synchronous, "full")
        XCTAssertEqual([c.storage.readers, c.storage.maxBatch, c.storage.busyTimeoutMs, c.storage.statementCacheSize],
                       [3, 4, 5, 6])
    }

    func testFlagsOverrideEnvironmentAndFile() throws {
        let c = try load(file: #"{"port": 8080, "dataDir": "file-dir", "loops": 2}"#,
                         env: ["GATEWAY_PORT": "9090", "GATEWAY_DATA_DIR": "env-dir"],
                         flags: ["port": "7070"])
        XCTAssertEqual(c.port, 7070)
        XCTAssertEqual(c.dataDir, "env-dir")
        XCTAssertEqual(c.loops, 2)
    }

    func testCommandLineToConfigurationEndToEnd() throws {
        let path = try writeFile(#"{"host": "10.0.0.1", "port": 1}"#)
        let command = try GatewayCommandLine.parse(
            ["--config", path, "--port=4000", "--tls-cert", "a.pem", "--tls-key", "a.key", "--redirect-port", "4001"])
        guard case .run(let configPath, let overrides) = command else { return XCTFail("expected .run, got \(command)") }
        let c = try GatewayCommandLine.load(configPath: configPath, environment: ["GATEWAY_PORT": "2"],
                                            flagOverrides: overrides)
        XCTAssertEqual(c.host, "10.0.0.1")
        XCTAssertEqual(c.port, 4000)
        XCTAssertEqual(c.tls?.certificate, "a.pem")
        XCTAssertEqual(c.tls?.key, "a.key")
        XCTAssertEqual(c.tls?.redirectPort, 4001)
    }

    func testDurationsAcceptUnits() {
        XCTAssertEqual(OptionKind.milliseconds("250"), 250)
        XCTAssertEqual(OptionKind.milliseconds("250ms"), 250)
        XCTAssertEqual(OptionKind.milliseconds("10s"), 10_000)
        XCTAssertEqual(OptionKind.milliseconds("5m"), 300_000)
        XCTAssertEqual(OptionKind.milliseconds(" 1H "), 3_600_000)
        XCTAssertNil(OptionKind.milliseconds("1.5s"))
        XCTAssertNil(OptionKind.milliseconds("-1"))
        XCTAssertNil(OptionKind.milliseconds("10 seconds"))
        XCTAssertNil(OptionKind.milliseconds("99999999999999999h"))
    }

    func testModulesAreKeptRaw() throws {
        let c = try load(file: """
        {"modules": {
          "workouts": {"enabled": true, "maxPerUser": 50, "ratio": 0.5, "tags": ["a", null], "nested": {"x": "y"}},
          "chat": {"enabled": false},
          "ranking": {}
        }}
        """)
        XCTAssertEqual(Set(c.modules.keys), ["workouts", "chat", "ranking"])
        let workouts = try XCTUnwrap(c.modules["workouts"])
        XCTAssertTrue(workouts.enabled)
        XCTAssertEqual(workouts["maxPerUser"], .int(50))
        XCTAssertEqual(workouts["maxPerUser"]?.intValue, 50)
        XCTAssertEqual(workouts["ratio"], .double(0.5))
        XCTAssertEqual(workouts["enabled"], .bool(true))
        XCTAssertEqual(workouts["tags"], .array([.string("a"), .null]))
        XCTAssertEqual(workouts["nested"]?["x"]?.stringValue, "y")
        XCTAssertEqual(c.modules["chat"]?.enabled, false)
        XCTAssertEqual(c.modules["ranking"], .init(enabled: true, raw: [:]))
    }

    func testJSONBooleansAndNumbersStayDistinct() throws {
        // On Linux, Foundation hands booleans out as NSNumber; 1 must not turn into true nor true into 1.
        let c = try load(
            file: #"{"modules": {"m": {"one": 1, "yes": true, "zero": 0, "no": false, "big": 9007199254740993}}}"#)
        let m = try XCTUnwrap(c.modules["m"])
        XCTAssertEqual(m["one"], .int(1))
        XCTAssertEqual(m["yes"], .bool(true))
        XCTAssertEqual(m["zero"], .int(0))
        XCTAssertEqual(m["no"], .bool(false))
        XCTAssertEqual(m["big"], .int(9_007_199_254_740_993))
    }

    func testTLSConvenienceInitUsesTableDefaults() {
        let tls = GatewayConfiguration.TLSSettings(certificate: "c", key: "k")
        XCTAssertEqual(tls.handshakeTimeoutMs, 10_000)
        XCTAssertEqual(tls.redirectPort, 0)
        XCTAssertEqual(tls.hstsMaxAgeSeconds, 31_536_000)
    }

    func testWatermarkEdgeLowOneBelowHighIsAccepted() throws {
        let c = try load(file: """
        {"connection": {"writeHighWatermarkBytes": 100, "writeLowWatermarkBytes": 99, "maxWriteBufferBytes": 100}}
        """)
        XCTAssertEqual(c.connection.writeLowWatermarkBytes, 99)
        XCTAssertEqual(c.connection.maxWriteBufferBytes, 100)
    }
}
