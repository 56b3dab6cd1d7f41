import XCTest
@testable import Gateway

final class ConfigurationCommandLineTests: XCTestCase {
    private func parseProblems(_ arguments: [String], line: UInt = #line) -> [String] {
        do {
            let command = try GatewayCommandLine.parse(arguments)
            XCTFail("expected an error, got \(command)", line: line)
            return []
        } catch {
            return error.problems
        }
    }

    func testNoArgumentsRunsWithDefaults() throws {
        XCTAssertEqual(try GatewayCommandLine.parse([]), .run(configPath: nil, overrides: [:]))
    }

    func testFlagsWithSeparateAndInlineValues() throws {
        let command = try GatewayCommandLine.parse([
            "--config", "gw.json", "--host=127.0.0.1", "--port", "8080", "--loops=2", "--data-dir", "/d",
            "--log-level", "debug", "--tls-cert=c.pem", "--tls-key", "k.pem", "--redirect-port", "80",
        ])
        XCTAssertEqual(command, .run(configPath: "gw.json", overrides: [
            "host": "127.0.0.1", "port": "8080", "loops": "2", "dataDir": "/d", "logLevel": "debug",
            "tls.certificate": "c.pem", "tls.key": "k.pem", "tls.redirectPort": "80",
        ]))
    }

    func testInlineValueMayContainEqualsOrBeEmpty() throws {
        XCTAssertEqual(try GatewayCommandLine.parse(["--data-dir=a=b", "--host="]),
                       .run(configPath: nil, overrides: ["dataDir": "a=b", "host": ""]))
    }

    func testValuesAreNotValidatedByParse() throws {
        // So that a bad flag is reported by `load` together with bad file and env values.
        XCTAssertEqual(try GatewayCommandLine.parse(["--port", "abc"]), .run(configPath: nil, overrides: ["port": "abc"]))
    }

    func testUnknownFlagIsNamedWithSuggestion() {
        XCTAssertEqual(parseProblems(["--prot", "1"]), ["--prot: unknown flag (did you mean --port?); see --help"])
        XCTAssertEqual(parseProblems(["--max-connections=5"]).first?.hasPrefix("--max-connections: unknown flag"), true)
        XCTAssertEqual(parseProblems(["--tls-certificate", "c.pem"]),
                       ["--tls-certificate: unknown flag (did you mean --tls-cert?); see --help"],
                       "the unknown flag's value is not reported again as a stray argument")
    }

    func testAllArgumentProblemsAreReportedTogether() {
        let problems = parseProblems(["--bogus=1", "stray", "--port"])
        XCTAssertEqual(problems.count, 3, "\(problems)")
        XCTAssert(problems[0].hasPrefix("--bogus: unknown flag"))
        XCTAssertEqual(problems[1], #""stray": unexpected argument; see --help"#)
        XCTAssertEqual(problems[2], "--port: missing value")
    }

    func testFlagFollowedByFlagIsMissingItsValue() {
        XCTAssertEqual(parseProblems(["--host", "--port", "1"]), ["--host: missing value"])
    }

    func testRepeatedFlagIsRefused() {
        XCTAssertEqual(parseProblems(["--port", "1", "--port=2"]), ["--port: given more than once"])
        XCTAssertEqual(parseProblems(["--config", "a", "--config", "b"]), ["--config: given more than once"])
    }

    func testHelpWinsEvenNextToMistakes() throws {
        XCTAssertEqual(try GatewayCommandLine.parse(["--help"]), .help)
        XCTAssertEqual(try GatewayCommandLine.parse(["-h"]), .help)
        XCTAssertEqual(try GatewayCommandLine.parse(["--bogus", "--help"]), .help)
    }

    func testVersion() throws {
        XCTAssertEqual(try GatewayCommandLine.parse(["--version"]), .version)
    }

    func testTokenSubcommandPassesTheRestThrough() throws {
        XCTAssertEqual(try GatewayCommandLine.parse(["token", "--sub", "u1", "--role", "coach", "--ttl", "1h"]),
                       .token(arguments: ["--sub", "u1", "--role", "coach", "--ttl", "1h"]))
        XCTAssertEqual(try GatewayCommandLine.parse(["token"]), .token(arguments: []))
        XCTAssertEqual(parseProblems(["--port", "1", "token"]),
                       [#""token": unexpected argument (token must be the first argument); see --help"#])
    }

    func testHelpListsEveryOptionFromTheTable() {
        let help = GatewayCommandLine.helpText()
        for spec in GatewayOptions.all {
            XCTAssert(help.contains("  \(spec.key)\n"), "help lacks key \(spec.key)")
            if let env = spec.env { XCTAssert(help.contains(env), "help lacks env \(env)") }
            if let flag = spec.flag { XCTAssert(help.contains(flag), "help lacks flag \(flag)") }
            XCTAssert(help.contains(spec.help), "help lacks the description of \(spec.key)")
            XCTAssert(help.contains("default: \(spec.defaultValue?.helpText ?? "none")"), "help lacks default of \(spec.key)")
        }
        for word in ["--config", "--help", "--version", "token", "modules.<name>", "3000", "\"./data\"", "\"0.0.0.0\""] {
            XCTAssert(help.contains(word), "help lacks \(word)")
        }
    }

    func testEveryFlagInTheTableIsAcceptedByParse() throws {
        for spec in GatewayOptions.all {
            guard let flag = spec.flag else { continue }
            XCTAssertEqual(try GatewayCommandLine.parse([flag, "v"]), .run(configPath: nil, overrides: [spec.key: "v"]))
        }
    }

    func testTableIsConsistent() {
        let all = GatewayOptions.all
        XCTAssertEqual(Set(all.map(\.key)).count, all.count, "duplicate key")
        XCTAssertEqual(Set(all.compactMap(\.env)).count, all.compactMap(\.env).count, "duplicate env var")
        XCTAssertEqual(Set(all.compactMap(\.flag)).count, all.compactMap(\.flag).count, "duplicate flag")
        for spec in all {
            XCTAssert(spec.env?.hasPrefix("GATEWAY_") ?? true, spec.key)
            XCTAssert(spec.flag?.hasPrefix("--") ?? true, spec.key)
            XCTAssertFalse(GatewayOptions.sections.contains(spec.key), "\(spec.key) is both an option and a section")
        }
        XCTAssertEqual(GatewayOptions.sections, ["tls", "http", "http.cors", "connection", "websocket", "socketio", "storage", "auth", "httpClient"])
    }
}
