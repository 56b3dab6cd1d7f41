import Foundation
import XCTest
@testable import Gateway

final class ConfigurationErrorTests: ConfigurationTestCase {
    func testMessageFormatMatchesWhatOperatorsSee() throws {
        let problems = try problems(env: ["GATEWAY_MAX_BODY_BYTES": "abc"])
        XCTAssertEqual(problems, [#"http.maxBodyBytes: must be a positive integer, got "abc" (from GATEWAY_MAX_BODY_BYTES)"#])
        XCTAssertEqual(ConfigurationError(problems: problems).description,
                       #"config error: http.maxBodyBytes: must be a positive integer, got "abc" (from GATEWAY_MAX_BODY_BYTES)"#)
    }

    func testBadFileValuesNameKeyAndFile() throws {
        let path = try writeFile("""
        {
          "host": "", "port": 70000, "loops": 257, "dataDir": 5, "logLevel": "verbose", "maxConnections": 0,
          "shutdownTimeoutMs": "soon",
          "http": {"maxBodyBytes": "1000", "maxHeaderCount": 1.5, "idleTimeoutMs": -1,
                   "cors": {"origins": ["http://ok.test", 3], "credentials": "yes"}},
          "tls": {"sni": "x.pem"}
        }
        """)
        let problems = try self.problems(path: path)
        let from = "(from config file \(path))"
        assertProblem(problems, contains: "host: must be a non-empty string", #"got """#, from)
        assertProblem(problems, contains: "port: must be an integer in 1...65535, got 70000", from)
        assertProblem(problems, contains: "loops: must be an integer in 0...256, got 257", from)
        assertProblem(problems, contains: "dataDir: must be a non-empty path, got 5", from)
        assertProblem(problems, contains: #"logLevel: must be one of debug, info, warning, error, got "verbose""#, from)
        assertProblem(problems, contains: "maxConnections: must be a positive integer, got 0", from)
        assertProblem(problems, contains: #"shutdownTimeoutMs: must be a duration in 0...86400000 ms"#, #"got "soon""#, from)
        assertProblem(problems, contains: #"http.maxBodyBytes: must be a positive integer, got "1000""#, from)
        assertProblem(problems, contains: "http.maxHeaderCount: must be a positive integer, got 1.5", from)
        assertProblem(problems, contains: "http.idleTimeoutMs: must be a duration in 1...86400000 ms", "got -1", from)
        assertProblem(problems, contains: "http.cors.origins[1]: must be a string, got 3", from)
        assertProblem(problems, contains: #"http.cors.credentials: must be true or false, got "yes""#, from)
        assertProblem(problems, contains: "tls.sni: must be a list of", from)
        XCTAssertEqual(problems.count, 13, "every problem is reported, once: \(problems)")
    }

    func testBadEnvironmentValuesNameKeyAndVariable() throws {
        let problems = try problems(env: [
            "GATEWAY_PORT": "0", "GATEWAY_LOOPS": "x", "GATEWAY_LOG_LEVEL": "loud",
            "GATEWAY_SHUTDOWN_TIMEOUT_MS": "10 s", "GATEWAY_HSTS_MAX_AGE": "-5",
            "GATEWAY_CORS_ORIGINS": "http://ok.test,https://app.test/",
        ])
        assertProblem(problems, contains: #"port: must be an integer in 1...65535, got "0" (from GATEWAY_PORT)"#)
        assertProblem(problems, contains: #"loops: must be an integer in 0...256, got "x" (from GATEWAY_LOOPS)"#)
        assertProblem(problems, contains: "logLevel:", #""loud" (from GATEWAY_LOG_LEVEL)"#)
        assertProblem(problems, contains: "shutdownTimeoutMs:", #""10 s" (from GATEWAY_SHUTDOWN_TIMEOUT_MS)"#)
        assertProblem(problems, contains: "tls.hstsMaxAgeSeconds: must be a non-negative integer", "(from GATEWAY_HSTS_MAX_AGE)")
        assertProblem(problems, contains: "http.cors.origins[1]: must be", #""https://app.test/""#,
                      "(from GATEWAY_CORS_ORIGINS)")
        XCTAssertEqual(problems.count, 6, "\(problems)")
    }

    func testBadFlagValuesNameKeyAndFlag() throws {
        let problems = try problems(flags: ["port": "http", "host": "", "dataDir": "", "tls.redirectPort": "99999"])
        assertProblem(problems, contains: #"port: must be an integer in 1...65535, got "http" (from --port)"#)
        assertProblem(problems, contains: #"host: must be a non-empty string, got "" (from --host)"#)
        assertProblem(problems, contains: #"dataDir: must be a non-empty path, got "" (from --data-dir)"#)
        assertProblem(problems, contains: "tls.redirectPort: must be an integer in 0...65535", "(from --redirect-port)")
    }

    func testUnknownOverrideKeyIsRefused() throws {
        let problems = try problems(flags: ["prot": "1"])
        XCTAssertEqual(problems, ["prot: unknown option (from command line)"])
    }

    func testBadValueIsReportedEvenWhenOverridden() throws {
        // The file is wrong whatever the environment says; the next deployment may not set the variable.
        let path = try writeFile(#"{"port": "eighty"}"#)
        let problems = try problems(path: path, env: ["GATEWAY_PORT": "80"])
        XCTAssertEqual(problems, [#"port: must be an integer in 1...65535, got "eighty" (from config file \#(path))"#])
    }

    func testUnknownFileKeysAreNamed() throws {
        let path = try writeFile("""
        {"prot": 1, "http": {"maxBodyByts": 5, "cors": {"origin": []}}, "tls": {"sni": [{"cert": "a", "key": "b"}]},
         "extra": {"a": 1}, "connection": 7}
        """)
        let problems = try self.problems(path: path)
        let from = "(from config file \(path))"
        assertProblem(problems, contains: "prot: unknown key (did you mean port?)", from)
        assertProblem(problems, contains: "http.maxBodyByts: unknown key (did you mean http.maxBodyBytes?)", from)
        assertProblem(problems, contains: "http.cors.origin: unknown key (did you mean http.cors.origins?)", from)
        assertProblem(problems, contains: "tls.sni[0].cert: unknown key (did you mean certificate?)", from)
        assertProblem(problems, contains: "extra: unknown key", from)
        assertProblem(problems, contains: "connection: must be an object, got 7", from)
        XCTAssertEqual(problems.count, 6, "\(problems)")
    }

    func testSNIEntriesAreChecked() throws {
        let problems = try problems(file: """
        {"tls": {"certificate": "a", "key": "b", "sni": [{"certificate": "c"}, {"certificate": "", "key": "d"}, 5]}}
        """)
        assertProblem(problems, contains: "tls.sni[0].key: is missing")
        XCTAssertEqual(problems.count, 1, "the first bad entry stops the list: \(problems)")
        let second = try self.problems(file: #"{"tls": {"certificate": "a", "key": "b", "sni": [{"certificate": "", "key": "d"}]}}"#)
        assertProblem(second, contains: #"tls.sni[0].certificate: must be a non-empty path, got """#)
        let third = try self.problems(file: #"{"tls": {"certificate": "a", "key": "b", "sni": [5]}}"#)
        assertProblem(third, contains: "tls.sni[0]: must be", "got 5")
    }

    func testModuleSectionsMustBeObjectsWithBooleanEnabled() throws {
        let problems = try problems(file: #"{"modules": {"a": 5, "b": {"enabled": "yes"}, "c": {"enabled": true}}}"#)
        assertProblem(problems, contains: "modules.a: must be an object, got 5")
        assertProblem(problems, contains: #"modules.b.enabled: must be true or false, got "yes""#)
        XCTAssertEqual(problems.count, 2, "\(problems)")
        let notObject = try self.problems(file: #"{"modules": ["a"]}"#)
        assertProblem(notObject, contains: "modules: must be an object")
    }

    func testTLSHalfConfiguredNamesTheMissingKey() throws {
        let onlyCert = try problems(env: ["GATEWAY_TLS_CERT": "c.pem"])
        XCTAssertEqual(onlyCert, ["tls.key: missing; TLS needs it because tls.certificate is set (from GATEWAY_TLS_CERT)"])
        let onlyKey = try problems(flags: ["tls.key": "k.pem"])
        XCTAssertEqual(onlyKey, ["tls.certificate: missing; TLS needs it because tls.key is set (from --tls-key)"])
        let fromFile = try problems(file: #"{"tls": {"certificate": "c.pem"}}"#)
        assertProblem(fromFile, contains: "tls.key: missing", "(from config file")
    }

    func testTLSOnlyOptionsNeedTLS() throws {
        let redirect = try problems(flags: ["tls.redirectPort": "80"])
        assertProblem(redirect, contains: "tls.redirectPort:", "needs tls.certificate and tls.key", "(from --redirect-port)")
        let sni = try problems(file: #"{"tls": {"sni": [{"certificate": "a", "key": "b"}]}}"#)
        assertProblem(sni, contains: "tls.sni: needs tls.certificate and tls.key")
        let samePort = try problems(env: ["GATEWAY_TLS_CERT": "c", "GATEWAY_TLS_KEY": "k"],
                                    flags: ["port": "443", "tls.redirectPort": "443"])
        XCTAssertEqual(samePort, ["tls.redirectPort (443, from --redirect-port) must differ from port (443, from --port)"])
    }

    func testWatermarkLowEqualToHighIsRefused() throws {
        let problems = try problems(file: #"{"connection": {"writeHighWatermarkBytes": 100, "writeLowWatermarkBytes": 100}}"#)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        assertProblem(problems, contains: "connection.writeLowWatermarkBytes (100, from config file",
                      "must be less than connection.writeHighWatermarkBytes (100, from config file")
    }

    func testWatermarkLowAboveDefaultHighNamesBothAndTheirSources() throws {
        let problems = try problems(file: #"{"connection": {"writeLowWatermarkBytes": 70000}}"#)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        assertProblem(problems, contains: "connection.writeLowWatermarkBytes (70000, from config file",
                      "connection.writeHighWatermarkBytes (65536, default)")
    }

    func testMaxWriteBufferBelowHighIsRefused() throws {
        let problems = try problems(file: """
        {"connection": {"writeHighWatermarkBytes": 100, "writeLowWatermarkBytes": 10, "maxWriteBufferBytes": 99}}
        """)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        assertProblem(problems, contains: "connection.maxWriteBufferBytes (99, from config file",
                      "must be at least connection.writeHighWatermarkBytes (100")
    }

    func testCrossCheckSkippedWhenOneSideIsAlreadyWrong() throws {
        let problems = try problems(file: #"{"connection": {"writeHighWatermarkBytes": "big", "writeLowWatermarkBytes": 1000000}}"#)
        XCTAssertEqual(problems.count, 1, "only the parse error, not a confusing comparison with the default: \(problems)")
        assertProblem(problems, contains: "connection.writeHighWatermarkBytes: must be a positive integer")
    }

    func testProblemsFromAllSourcesAreReportedTogether() throws {
        let path = try writeFile(#"{"port": 0, "bogus": true}"#)
        let problems = try problems(path: path, env: ["GATEWAY_LOOPS": "-1", "GATEWAY_TLS_KEY": "k"],
                                    flags: ["host": ""])
        assertProblem(problems, contains: "port:", "(from config file")
        assertProblem(problems, contains: "bogus: unknown key")
        assertProblem(problems, contains: "loops:", "(from GATEWAY_LOOPS)")
        assertProblem(problems, contains: "host:", "(from --host)")
        assertProblem(problems, contains: "tls.certificate: missing")
        XCTAssertEqual(problems.count, 5, "\(problems)")
    }

    func testBadJSONNamesPathAndProblem() throws {
        let path = try writeFile("{\n  \"port\": 3000,\n  \"host\": ,\n}")
        let problems = try self.problems(path: path)
        XCTAssertEqual(problems.count, 1)
        assertProblem(problems, contains: "config file \(path): invalid JSON:", "(line 3, column 11)")
        let empty = try self.problems(path: try writeFile("", name: "empty.json"))
        assertProblem(empty, contains: "empty.json: invalid JSON:")
    }

    func testTopLevelMustBeAnObject() throws {
        let path = try writeFile(#"["port", 3000]"#)
        let problems = try self.problems(path: path)
        XCTAssertEqual(problems, [#"config file \#(path): must hold a JSON object at the top level, got ["port", 3000]"#])
    }

    func testMissingFileNamesThePath() throws {
        let path = directory.appendingPathComponent("nope.json").path
        let problems = try self.problems(path: path)
        XCTAssertEqual(problems.count, 1)
        assertProblem(problems, contains: "config file \(path): cannot read:", "No such file")
    }

    func testDirectoryAsConfigFileIsRefused() throws {
        let problems = try self.problems(path: directory.path)
        assertProblem(problems, contains: "config file \(directory.path): cannot read:")
    }
}

extension ConfigurationErrorTests {
    func testDurationsHaveACeiling() throws {
        let problems = try problems(env: ["GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS": "25h"])
        XCTAssertEqual(problems.count, 1)
        assertProblem(problems, contains: "tls.handshakeTimeoutMs: must be a duration in 1...86400000 ms",
                      #"got "25h" (from GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS)"#)
        XCTAssertEqual(try load(env: ["GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS": "24h", "GATEWAY_TLS_CERT": "c",
                                      "GATEWAY_TLS_KEY": "k"]).tls?.handshakeTimeoutMs, 86_400_000)
    }
}
