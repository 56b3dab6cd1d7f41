import Foundation
import Glibc
import GatewayProtocol
import TestSupport
import XCTest
@testable import Gateway

/// `fitmate-gateway token` through the built binary, checked against an authenticator made from the same configuration.
final class JWTTokenCommandTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestCertificates.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func authenticator(_ adjust: (inout GatewayConfiguration) -> Void = { _ in }) throws -> Authenticator {
        var configuration = GatewayConfiguration()
        configuration.dataDir = directory + "/data"
        adjust(&configuration)
        return try Authenticator.make(configuration: configuration)
    }

    func testZeroConfigTokenVerifiesAgainstTheSameDataDirectory() async throws {
        let started = time(nil)
        let result = try GatewayProcess.run(arguments: ["token", "--sub", "user-42", "--role", "service", "--ttl", "15m"],
                                            workingDirectory: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("event=jwt_secret_created"), result.stderr)
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.split(separator: ".").count, 3, "stdout is the token alone: \(result.stdout)")
        XCTAssertFalse(result.stderr.contains(try String(contentsOfFile: directory + "/data/jwt-secret", encoding: .utf8)),
                       "the secret is never logged")

        let identity = try await authenticator().verify(token: token)
        XCTAssertEqual(identity.userId, "user-42")
        XCTAssertTrue(identity.isService)
        let lifetime = try XCTUnwrap(identity.claims["exp"]?.intValue) - started
        XCTAssertTrue((900...902).contains(lifetime), "exp is 15 minutes ahead, got \(lifetime) s")

        let again = try GatewayProcess.run(arguments: ["token", "--sub", "user-43"], workingDirectory: directory)
        XCTAssertTrue(again.stderr.contains("event=jwt_secret_loaded"), again.stderr)
        let second = try await authenticator().verify(token: again.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(second.role, "")
        XCTAssertEqual(try XCTUnwrap(second.claims["exp"]?.intValue) - started, 3600, accuracy: 2, "the default ttl is 1h")
    }

    func testConfiguredSecretIssuerAndAudienceAreUsed() async throws {
        let secret = String(repeating: "k", count: 40)
        let config = directory + "/gateway.json"
        try Data(#"{"auth": {"issuer": "fitmate-api", "audience": ["fitmate"], "roleClaim": "kind", "keyId": "dev"}}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        let result = try GatewayProcess.run(arguments: ["token", "--config", config, "--sub", "7", "--role", "admin", "--ttl", "7d"],
                                            environment: ["GATEWAY_JWT_SECRET": secret], workingDirectory: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        let identity = try await authenticator {
            $0.auth.secret = secret; $0.auth.issuer = "fitmate-api"; $0.auth.audience = ["fitmate"]
            $0.auth.roleClaim = "kind"; $0.auth.keyId = "dev"
        }.verify(token: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(identity.isAdmin)
        XCTAssertEqual(identity.claims["iss"], "fitmate-api")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/data"), "a configured secret generates none")
    }

    func testPrivateKeySignsForAPublicKeyConfiguration() async throws {
        let keys = JWTTestKeys.shared
        let result = try GatewayProcess.run(arguments: ["token", "--sub", "u", "--private-key", keys.path("p256.key"),
                                                        "--jwt-public-key", keys.path("p256.pub")], workingDirectory: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let identity = try await authenticator { $0.auth.publicKeyFile = keys.path("p256.pub") }.verify(token: token)
        XCTAssertEqual(identity.userId, "u")

        let refused = try GatewayProcess.run(arguments: ["token", "--sub", "u", "--jwt-public-key", keys.path("p256.pub")],
                                             workingDirectory: directory)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("the configured keys are public keys, which cannot sign; give the matching "
                                              + "private key with --private-key PATH"), refused.stderr)
        let encrypted = try GatewayProcess.run(arguments: ["token", "--sub", "u", "--private-key", keys.path("p256-encrypted.key")],
                                               workingDirectory: directory)
        XCTAssertEqual(encrypted.status, 1, "an encrypted key is refused, not prompted for")
        XCTAssertTrue(encrypted.stderr.contains("no unencrypted PEM PRIVATE KEY found"), encrypted.stderr)
        let wrongAlgorithm = try GatewayProcess.run(arguments: ["token", "--sub", "u", "--alg", "RS256",
                                                                "--private-key", keys.path("p256.key")], workingDirectory: directory)
        XCTAssertEqual(wrongAlgorithm.status, 1)
        XCTAssertTrue(wrongAlgorithm.stderr.contains("the key cannot sign RS256; it signs ES256"), wrongAlgorithm.stderr)
    }

    func testBadArgumentsExitTwoWithTheReason() throws {
        let cases: [([String], String)] = [
            (["token"], "config error: --sub: required"),
            (["token", "--sub"], "config error: --sub: missing value"),
            (["token", "--sub", "u", "--ttl", "0s"], #"--ttl: must be a positive duration with a unit (30s, 15m, 1h, 7d) of at most 365d, got "0s""#),
            (["token", "--sub", "u", "--ttl", "2w"], #"got "2w""#),
            (["token", "--sub", "u", "--ttl", "366d"], #"got "366d""#),
            (["token", "--sub", "u", "--ttl", "15"], #"got "15""#),
            (["token", "--sub", "u", "--alg", "none"], #"--alg: must be one of HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, got "none""#),
            (["token", "--sub", "u", "--rol", "admin"], "--rol: unknown flag (did you mean --role?)"),
            (["token", "--sub", "u", "--sub", "v"], "--sub: given more than once"),
            (["token", "--sub", "u", "extra"], #""extra": unexpected argument"#),
            (["token", "--sub", "u", "--port", "0"], "port: must be an integer in 1...65535"),
        ]
        for (arguments, expected) in cases {
            let result = try GatewayProcess.run(arguments: arguments, workingDirectory: directory)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/data"), "refused commands create nothing")
        let help = try GatewayProcess.run(arguments: ["token", "--help"], workingDirectory: directory)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.hasPrefix("Usage: fitmate-gateway token --sub ID"), help.stdout)
    }

    func testTTLSpellings() {
        XCTAssertEqual(TokenCommandLine.ttlSeconds("30s"), 30)
        XCTAssertEqual(TokenCommandLine.ttlSeconds("15m"), 900)
        XCTAssertEqual(TokenCommandLine.ttlSeconds("1h"), 3600)
        XCTAssertEqual(TokenCommandLine.ttlSeconds("7d"), 604_800)
        XCTAssertEqual(TokenCommandLine.ttlSeconds("365d"), TokenCommandLine.maxTTLSeconds)
        for bad in ["366d", "0h", "-1h", "1.5h", "h", "", "1 h", "99999999999999999999d"] {
            XCTAssertNil(TokenCommandLine.ttlSeconds(bad), bad)
        }
    }
}
