import COpenSSL
import Foundation
import GatewayProtocol
import TestSupport
@testable import Gateway

/// Keys generated at test time with the `openssl` CLI (none live in the repository), made once per test run.
final class JWTTestKeys: Sendable {
    let directory: String
    let secret = Array("a-test-secret-of-at-least-32-bytes!!".utf8)

    static let shared: JWTTestKeys = {
        do { return try JWTTestKeys() } catch { fatalError("cannot generate JWT test keys: \(error)") }
    }()

    private init() throws {
        directory = try TestCertificates.makeTemporaryDirectory()
        try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("rsa.key")])
        try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", path("rsa1024.key")])
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("p256.key")])
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", path("p384.key")])
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", path("p521.key")])
        try Self.openssl(["pkey", "-in", path("p256.key"), "-aes256", "-passout", "pass:secret", "-out", path("p256-encrypted.key")])
        for name in ["rsa", "rsa1024", "p256", "p384", "p521"] {
            try Self.openssl(["pkey", "-in", path("\(name).key"), "-pubout", "-out", path("\(name).pub")])
        }
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }
    func pem(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
    func privateKey(_ name: String, id: String? = nil) throws -> JWTKey { try .privateKey(pem: pem("\(name).key"), id: id) }
    func publicKey(_ name: String, id: String? = nil) throws -> JWTKey { try .publicKey(pem: pem("\(name).pub"), id: id) }

    /// The signing key (private, or the secret) for an algorithm, and the key a verifier is configured with.
    func pair(for algorithm: JWTAlgorithm) throws -> (signing: JWTKey, verifying: JWTKey) {
        switch algorithm.family {
        case .hmac: return (.secret(secret), .secret(secret))
        case .rsa: return (try privateKey("rsa"), try publicKey("rsa"))
        case .ecdsa(.p256): return (try privateKey("p256"), try publicKey("p256"))
        case .ecdsa(.p384): return (try privateKey("p384"), try publicKey("p384"))
        }
    }

    /// A JWK of a public key: `n`/`e` for RSA, `crv`/`x`/`y` for EC, read through OpenSSL's parameter API.
    func jwk(_ name: String, kid: String, extra: JSONObject = [:]) throws -> JSONValue {
        let key = try publicKey(name)
        var object: JSONObject
        switch key.material {
        case .rsa(let evp):
            object = ["kty": "RSA", "n": .string(Base64URL.encode(try Self.bignum(evp, "n"))),
                      "e": .string(Base64URL.encode(try Self.bignum(evp, "e")))]
        case .ec(let evp, let curve):
            var point = [UInt8](repeating: 0, count: 200)
            var length = 0
            guard EVP_PKEY_get_octet_string_param(evp.pointer, "pub", &point, point.count, &length) == 1, point[0] == 4 else {
                throw TestError("cannot read the EC point of \(name)")
            }
            let size = curve.coordinateBytes
            object = ["kty": "EC", "crv": .string(curve.rawValue),
                      "x": .string(Base64URL.encode(point[1...size])), "y": .string(Base64URL.encode(point[(1 + size)...(2 * size)]))]
        case .secret:
            throw TestError("a secret has no public JWK")
        }
        object["kid"] = .string(kid)
        for (field, value) in extra { object[field] = value }
        return .object(object)
    }

    private static func bignum(_ key: EVPKey, _ name: String) throws -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key.pointer, name, &number) == 1, let number else {
            throw TestError("cannot read \(name)")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
        BN_bn2bin(number, &bytes)
        return bytes
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestError("openssl \(arguments.joined(separator: " ")) failed") }
    }
}

/// Builds tokens, good and hostile, without going through the signer's safety checks.
enum JWTForge {
    static func segment(_ object: JSONObject) -> String { Base64URL.encode(JSONValue.object(object).serialized) }

    /// header.payload signed with `key` under `algorithm` (the key may be of any family: that is the point of some tests).
    static func token(header: JSONObject, claims: JSONObject, key: JWTKey, algorithm: JWTAlgorithm) throws -> String {
        let input = segment(header) + "." + segment(claims)
        guard let signature = key.sign(Array(input.utf8), algorithm: algorithm) else {
            throw TestError("the key cannot sign \(algorithm)")
        }
        return input + "." + Base64URL.encode(signature)
    }

    /// HMAC with arbitrary bytes as the secret (e.g. an RSA public key's PEM), for algorithm-confusion tokens.
    static func hmacToken(header: JSONObject, claims: JSONObject, secret: [UInt8]) throws -> String {
        try token(header: header, claims: claims, key: .secret(secret), algorithm: .hs256)
    }
}

extension AuthError {
    /// The error a verification threw, or nil when it succeeded.
    static func of(_ body: () async throws(AuthError) -> Identity) async -> AuthError? {
        do { _ = try await body(); return nil } catch { return error }
    }
}
