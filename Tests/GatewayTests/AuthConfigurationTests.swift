import Foundation
import Glibc
import GatewayProtocol
import XCTest
@testable import Gateway

final class AuthConfigurationTests: ConfigurationTestCase {
    let secret32 = String(repeating: "s", count: 32)

    func testDefaults() throws {
        let auth = try load().auth
        XCTAssertEqual(auth.leewaySeconds, 30)
        XCTAssertEqual(auth.userIdClaim, "sub")
        XCTAssertEqual(auth.roleClaim, "role")
        XCTAssertEqual(auth.serviceRole, "service")
        XCTAssertEqual(auth.adminRole, "admin")
        XCTAssertEqual(auth.maxTokenBytes, 8192)
        XCTAssertTrue(auth.requireExpiration)
        XCTAssertFalse(auth.hasKeySource)
        XCTAssertEqual(auth, GatewayConfiguration.AuthSettings(), "the table and the struct agree on defaults")
    }

    func testFileEnvironmentAndFlags() throws {
        let auth = try load(file: """
            {"auth": {"issuer": "fitmate-api", "audience": ["fitmate", "fitmate-admin"], "leewaySeconds": 5,
                      "userIdClaim": "uid", "roleClaim": "kind", "serviceRole": "backend", "adminRole": "root",
                      "maxTokenBytes": 4096, "keyId": "k1", "jwksCacheTtlMs": "5m", "requireExpiration": false}}
            """, env: ["GATEWAY_JWT_SECRET": secret32, "GATEWAY_JWT_LEEWAY_SECONDS": "7"],
            flags: ["auth.jwksUrl": "https://id.example/jwks.json", "auth.issuer": "flag-issuer"]).auth
        XCTAssertEqual(auth.issuer, "flag-issuer")
        XCTAssertEqual(auth.audience, ["fitmate", "fitmate-admin"])
        XCTAssertEqual(auth.leewaySeconds, 7)
        XCTAssertEqual(auth.userIdClaim, "uid")
        XCTAssertEqual(auth.roleClaim, "kind")
        XCTAssertEqual(auth.serviceRole, "backend")
        XCTAssertEqual(auth.adminRole, "root")
        XCTAssertEqual(auth.maxTokenBytes, 4096)
        XCTAssertEqual(auth.keyId, "k1")
        XCTAssertEqual(auth.jwksCacheTtlMs, 300_000)
        XCTAssertFalse(auth.requireExpiration)
        XCTAssertEqual(auth.secret, secret32)
        XCTAssertEqual(auth.jwksUrl, "https://id.example/jwks.json")
        XCTAssertEqual(try load(env: ["GATEWAY_JWT_AUDIENCE": "a, b"]).auth.audience, ["a", "b"])
    }

    func testBadValuesAtTheirEdges() throws {
        XCTAssertEqual(try load(env: ["GATEWAY_JWT_SECRET": secret32]).auth.secret, secret32)
        let short = try problems(env: ["GATEWAY_JWT_SECRET": String(secret32.dropLast())])
        XCTAssertEqual(short, ["auth.secret: must be at least 32 bytes, got 31 (make one with `openssl rand -base64 48`) "
                               + "(from GATEWAY_JWT_SECRET)"])
        XCTAssertFalse(short[0].contains(String(secret32.dropLast())), "the secret is never echoed")

        XCTAssertEqual(try load(env: ["GATEWAY_JWT_LEEWAY_SECONDS": "0"]).auth.leewaySeconds, 0)
        XCTAssertEqual(try load(env: ["GATEWAY_JWT_LEEWAY_SECONDS": "3600"]).auth.leewaySeconds, 3600)
        assertProblem(try problems(env: ["GATEWAY_JWT_LEEWAY_SECONDS": "-1"]),
                      contains: "auth.leewaySeconds: must be an integer in 0...3600, got \"-1\"")
        assertProblem(try problems(env: ["GATEWAY_JWT_LEEWAY_SECONDS": "3601"]), contains: "auth.leewaySeconds")

        XCTAssertEqual(try load(file: #"{"auth": {"maxTokenBytes": 128}}"#).auth.maxTokenBytes, 128)
        assertProblem(try problems(file: #"{"auth": {"maxTokenBytes": 127}}"#),
                      contains: "auth.maxTokenBytes: must be an integer in 128...1000000, got 127")
        assertProblem(try problems(file: #"{"auth": {"maxTokenBytes": 1000001}}"#), contains: "auth.maxTokenBytes")

        for url in ["https://id.example/jwks", "http://127.0.0.1:8080/jwks", "http://localhost/jwks"] {
            XCTAssertEqual(try load(flags: ["auth.jwksUrl": url]).auth.jwksUrl, url)
        }
        for url in ["http://id.example/jwks", "http://localhost.evil.example/jwks", "ftp://x", "id.example/jwks"] {
            assertProblem(try problems(flags: ["auth.jwksUrl": url]),
                          contains: "auth.jwksUrl: must be an https URL (http only for localhost)", "(from --jwks-url)")
        }
        assertProblem(try problems(file: #"{"auth": {"audience": "fitmate", "userIdClaim": ""}}"#),
                      contains: "auth.userIdClaim: must be a non-empty string")
        assertProblem(try problems(file: #"{"auth": {"audience": [1]}}"#), contains: "auth.audience[0]: must be a string")
        assertProblem(try problems(file: #"{"auth": {"secrte": "x"}}"#), contains: "auth.secrte: unknown key (did you mean auth.secret?)")
        assertProblem(try problems(file: #"{"auth": {"jwksCacheTtlMs": 999}}"#), contains: "auth.jwksCacheTtlMs")
    }

    func testHelpListsTheAuthOptions() {
        let help = GatewayCommandLine.helpText()
        for key in ["auth.secret", "auth.secretFile", "auth.publicKeyFile", "auth.jwksUrl", "auth.issuer", "auth.audience",
                    "auth.leewaySeconds", "auth.userIdClaim", "auth.roleClaim", "auth.serviceRole", "auth.adminRole",
                    "auth.maxTokenBytes"] {
            XCTAssertTrue(help.contains("  \(key)\n"), "help lacks \(key)")
        }
    }

    // MARK: - Keys from the configuration

    func makeAuthenticator(_ json: String) throws -> Authenticator {
        var configuration = try load(file: json)
        configuration.dataDir = directory.appendingPathComponent("data").path
        return try Authenticator.make(configuration: configuration, fetch: { _ in [] })
    }

    func configurationProblem(_ json: String) -> String {
        do { _ = try makeAuthenticator(json); return "accepted" } catch { return "\(error)" }
    }

    func testKeySourcesAreReadAndChecked() async throws {
        let keys = JWTTestKeys.shared
        let rsa = try makeAuthenticator(#"{"auth": {"publicKeyFile": "\#(keys.path("rsa.pub"))"}}"#)
        let token = try TokenSigner(key: try keys.privateKey("rsa")).sign(["sub": "u", "exp": .int(time(nil) + 60)])
        let identity = try await rsa.verify(token: token)
        XCTAssertEqual(identity.userId, "u")
        XCTAssertNil(rsa.secretKey)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data").path),
                       "with a key configured, no secret is generated")

        let secretPath = try writeFile(secret32 + "\n", name: "secret")
        let fromFile = try makeAuthenticator(#"{"auth": {"secretFile": "\#(secretPath)"}}"#)
        let hsToken = try TokenSigner(key: .secret(Array(secret32.utf8))).sign(["sub": "u", "exp": .int(time(nil) + 60)])
        let fileIdentity = try await fromFile.verify(token: hsToken)
        XCTAssertEqual(fileIdentity.userId, "u", "the file's trailing newline is not part of the secret")

        XCTAssertEqual(configurationProblem(#"{"auth": {"secret": "\#(secret32)", "secretFile": "\#(secretPath)"}}"#),
                       "auth.secret and auth.secretFile are both set; keep one")
        XCTAssertEqual(configurationProblem(#"{"auth": {"secretFile": "/nonexistent/secret"}}"#),
                       "auth.secretFile /nonexistent/secret: no such file")
        let shortPath = try writeFile("short", name: "short")
        XCTAssertEqual(configurationProblem(#"{"auth": {"secretFile": "\#(shortPath)"}}"#),
                       "auth.secretFile \(shortPath) holds 5 bytes; at least 32 are required")
        XCTAssertTrue(configurationProblem(#"{"auth": {"publicKeyFile": "\#(secretPath)"}}"#)
            .hasPrefix("auth.publicKeyFile \(secretPath): no PEM PUBLIC KEY or CERTIFICATE found"))
        XCTAssertEqual(configurationProblem(#"{"auth": {"publicKeyFile": "\#(keys.path("rsa1024.pub"))"}}"#),
                       "auth.publicKeyFile \(keys.path("rsa1024.pub")): RSA key has 1024 bits; at least 2048 are required")
        var jwks = try load(flags: ["auth.jwksUrl": "https://id.example/jwks"])
        jwks.dataDir = directory.path
        XCTAssertThrowsError(try Authenticator.make(configuration: jwks)) { error in
            XCTAssertEqual("\(error)", "auth.jwksUrl is set but this gateway was started without an HTTP client")
        }
    }

    // MARK: - Zero-config secret

    func testGeneratedSecretIsPrivateAndReusedOnTheNextStart() async throws {
        let dataDir = directory.appendingPathComponent("nested/data").path
        var configuration = GatewayConfiguration()
        configuration.dataDir = dataDir
        let first = try Authenticator.make(configuration: configuration)
        let path = dataDir + "/jwt-secret"
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "the secret is readable by its owner only")
        XCTAssertEqual(info.st_size, 43, "32 random bytes as base64url")
        XCTAssertEqual(stat(dataDir, &info), 0, "the directory is created")
        XCTAssertEqual(info.st_mode & 0o077, 0)
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertNotNil(Base64URL.decode(Array(contents.utf8)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDir), ["jwt-secret"], "no temporary file left")

        let token = try TokenSigner(key: try XCTUnwrap(first.secretKey)).sign(["sub": "u1", "exp": .int(time(nil) + 60)])
        let second = try Authenticator.make(configuration: configuration)
        let identity = try await second.verify(token: token)
        XCTAssertEqual(identity.userId, "u1", "the second start uses the same secret")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), contents, "and does not rewrite it")

        var other = configuration
        other.dataDir = directory.appendingPathComponent("other").path
        let stranger = try Authenticator.make(configuration: other)
        let error = await AuthError.of { () async throws(AuthError) in try await stranger.verify(token: token) }
        XCTAssertEqual(error, .invalidSignature, "another data directory has another secret")
    }

    func testGeneratedSecretReadableByOthersIsRefused() throws {
        let dataDir = directory.appendingPathComponent("data").path
        var configuration = GatewayConfiguration()
        configuration.dataDir = dataDir
        _ = try Authenticator.make(configuration: configuration)
        XCTAssertEqual(chmod(dataDir + "/jwt-secret", 0o644), 0)
        XCTAssertThrowsError(try Authenticator.make(configuration: configuration)) { error in
            XCTAssertEqual("\(error)", "the generated secret \(dataDir)/jwt-secret is readable by other users; "
                           + "run `chmod 600 \(dataDir)/jwt-secret`")
        }
    }

    func testDataDirectoryThatCannotBeCreatedIsNamed() throws {
        let blocker = try writeFile("", name: "file")
        var configuration = GatewayConfiguration()
        configuration.dataDir = blocker + "/data"
        XCTAssertThrowsError(try Authenticator.make(configuration: configuration)) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot read the generated secret \(blocker)/data/jwt-secret: Not a directory"),
                          "\(error)")
        }
    }
}
