import Foundation
import GatewayProtocol
import XCTest
@testable import Gateway

final class JWTVerificationTests: XCTestCase {
    let keys = JWTTestKeys.shared
    let now = 1_800_000_000

    func authenticator(_ keys: [JWTKey], _ adjust: (inout GatewayConfiguration.AuthSettings) -> Void = { _ in })
        -> Authenticator {
        var settings = GatewayConfiguration.AuthSettings()
        adjust(&settings)
        return Authenticator(settings: settings, keys: keys, jwks: nil)
    }

    func claims(_ extra: JSONObject = [:]) -> JSONObject {
        var claims: JSONObject = ["sub": "user-1", "role": "member", "iat": .int(now - 10), "exp": .int(now + 600)]
        for (name, value) in extra { claims[name] = value }
        return claims
    }

    func testEverySupportedAlgorithmVerifiesWithThePublicHalfOnly() async throws {
        for algorithm in JWTAlgorithm.allCases {
            let (signing, verifying) = try keys.pair(for: algorithm)
            let token = try TokenSigner(key: signing, algorithm: algorithm).sign(claims())
            let identity = try await authenticator([verifying]).verify(token: token, now: now)
            XCTAssertEqual(identity.userId, "user-1", "\(algorithm)")
            XCTAssertEqual(identity.role, "member")
            XCTAssertEqual(identity.claims["exp"], .int(now + 600))
        }
    }

    func testHostileTokensAreRefusedWithTheirReason() async throws {
        let hs = authenticator([.secret(keys.secret, id: "k1")]) { $0.audience = ["fitmate"]; $0.issuer = "fitmate-api" }
        let rsaOnly = authenticator([try keys.publicKey("rsa")])
        let p384Only = authenticator([try keys.publicKey("p384")])
        let good = claims(["aud": "fitmate", "iss": "fitmate-api"])
        let hsHeader: JSONObject = ["alg": "HS256", "typ": "JWT", "kid": "k1"]
        func hsToken(_ claims: JSONObject, header: JSONObject? = nil) throws -> String {
            try JWTForge.hmacToken(header: header ?? hsHeader, claims: claims, secret: keys.secret)
        }
        let valid = try hsToken(good)
        let parts = valid.split(separator: ".").map(String.init)
        var tamperedClaims = good
        tamperedClaims["sub"] = "admin-user"

        let rsaPublicPEM = try keys.pem("rsa.pub")
        let es256Token = try TokenSigner(key: try keys.privateKey("p256")).sign(claims())
        let esParts = es256Token.split(separator: ".").map(String.init)
        let derSignature = ECDSASignatureFormat.der(fromJOSE: Base64URL.decode(Array(esParts[2].utf8))!, curve: .p256)!

        let table: [(String, Authenticator, String?, AuthError)] = [
            ("missing", hs, nil, .missingToken),
            ("empty", hs, "", .missingToken),
            ("expired", hs, try hsToken(claims(["aud": "fitmate", "iss": "fitmate-api", "exp": .int(now - 31)])), .expired),
            ("not yet valid", hs, try hsToken(good.with("nbf", .int(now + 31))), .notYetValid),
            ("issued in the future", hs, try hsToken(good.with("iat", .int(now + 31))), .issuedInFuture),
            ("wrong audience", hs, try hsToken(good.with("aud", "another-app")), .invalidAudience),
            ("audience array without ours", hs, try hsToken(good.with("aud", ["a", "b"])), .invalidAudience),
            ("no audience", hs, try hsToken(good.with("aud", nil)), .invalidAudience),
            ("wrong issuer", hs, try hsToken(good.with("iss", "someone-else")), .invalidIssuer),
            ("alg none", hs, JWTForge.segment(["alg": "none", "typ": "JWT"]) + "." + parts[1] + ".", .unsupportedAlgorithm("none")),
            ("alg None", hs, JWTForge.segment(["alg": "None"]) + "." + parts[1] + ".", .unsupportedAlgorithm("None")),
            ("HS256 signed with the RS256 public key", rsaOnly,
             try JWTForge.hmacToken(header: ["alg": "HS256", "typ": "JWT"], claims: claims(), secret: rsaPublicPEM),
             .algorithmNotAllowed("HS256")),
            ("ES256 against a P-384 key", p384Only, es256Token, .algorithmNotAllowed("ES256")),
            ("ES256 with a DER signature", authenticator([try keys.publicKey("p256")]),
             esParts[0] + "." + esParts[1] + "." + Base64URL.encode(derSignature), .invalidSignature),
            ("tampered payload", hs, parts[0] + "." + JWTForge.segment(tamperedClaims) + "." + parts[2], .invalidSignature),
            ("signed with another secret", hs,
             try JWTForge.hmacToken(header: hsHeader, claims: good, secret: Array("another-secret-of-32-bytes-or-more!!".utf8)),
             .invalidSignature),
            ("truncated signature", hs, parts[0] + "." + parts[1] + "." + String(parts[2].dropLast(3)), .invalidSignature),
            ("wrong key id", hs, try hsToken(good, header: ["alg": "HS256", "kid": "k2"]), .unknownKeyId),
            ("two segments", hs, parts[0] + "." + parts[1], .malformed("expected 3 dot-separated parts, got 2")),
            ("four segments", hs, valid + ".", .malformed("expected 3 dot-separated parts, got 4")),
            ("padded signature", hs, valid + "=", .malformed("signature is not base64url")),
            ("standard base64 alphabet", hs, parts[0] + "." + parts[1] + "+/" + "." + parts[2], .malformed("payload is not base64url")),
            ("header not JSON", hs, Base64URL.encode(Array("alg".utf8)) + "." + parts[1] + "." + parts[2],
             .malformed("header is not a JSON object")),
            ("payload an array", hs, parts[0] + "." + Base64URL.encode(Array("[1]".utf8)) + "." + parts[2],
             .malformed("payload is not a JSON object")),
            ("crit header", hs, try hsToken(good, header: hsHeader.with("crit", ["exp"])),
             .malformed("crit header extensions are not supported")),
            ("kid not a string", hs, try hsToken(good, header: hsHeader.with("kid", 1)), .malformed("kid must be a string")),
            ("no sub", hs, try hsToken(good.with("sub", nil)), .missingClaim("sub")),
            ("empty sub", hs, try hsToken(good.with("sub", "")), .invalidClaim("sub", "a non-empty string or an integer")),
            ("no exp", hs, try hsToken(good.with("exp", nil)), .missingClaim("exp")),
            ("exp a string", hs, try hsToken(good.with("exp", "tomorrow")),
             .invalidClaim("exp", "a number of seconds since 1970")),
            ("role an object", hs, try hsToken(good.with("role", ["admin": true])), .invalidClaim("role", "a string")),
        ]
        for (name, verifier, token, expected) in table {
            let error = await AuthError.of { () async throws(AuthError) in try await verifier.verify(token: token, now: now) }
            XCTAssertEqual(error, expected, name)
            if let token, token.count > 8, let error {
                // The client sees the message; it must never carry the token or a segment of it back.
                for segment in token.split(separator: ".") where segment.count > 8 {
                    XCTAssertFalse(error.message.contains(segment), "\(name): message echoes the token")
                }
            }
        }
        let accepted = try await hs.verify(token: hsToken(good.with("aud", ["other", "fitmate"])), now: now)
        XCTAssertEqual(accepted.userId, "user-1", "an aud array naming us is accepted")
    }

    func testMessagesAreTheOnesClientsShow() {
        XCTAssertEqual(AuthError.expired.message, "token expired")
        XCTAssertEqual(AuthError.notYetValid.message, "token not yet valid")
        XCTAssertEqual(AuthError.invalidAudience.message, "invalid audience")
        XCTAssertEqual(AuthError.unsupportedAlgorithm("none").message, "unsupported algorithm none")
        XCTAssertEqual(AuthError.invalidSignature.message, "invalid signature")
        XCTAssertEqual(AuthError.unknownKeyId.message, "unknown key id")
        XCTAssertEqual(AuthError.missingToken.message, "missing token")
        XCTAssertEqual(AuthError.missingToken.code, "missing_token")
        XCTAssertEqual(AuthError.expired.code, "invalid_token")
        XCTAssertEqual(AuthError.unsupportedAlgorithm("n\u{1}o\nne" + String(repeating: "x", count: 100)).message,
                       "unsupported algorithm none" + String(repeating: "x", count: 28) + "...")
    }

    func testLeewayEdges() async throws {
        let verifier = authenticator([.secret(keys.secret)]) { $0.leewaySeconds = 30 }
        func verdict(_ extra: JSONObject) async throws -> AuthError? {
            let token = try JWTForge.hmacToken(header: ["alg": "HS256"], claims: claims(extra), secret: keys.secret)
            return await AuthError.of { () async throws(AuthError) in try await verifier.verify(token: token, now: now) }
        }
        let expiredAtLeeway = try await verdict(["exp": .int(now - 30)])
        let expiredPastLeeway = try await verdict(["exp": .int(now - 31)])
        let nbfAtLeeway = try await verdict(["nbf": .int(now + 30)])
        let nbfPastLeeway = try await verdict(["nbf": .int(now + 31)])
        let iatAtLeeway = try await verdict(["iat": .int(now + 30)])
        let iatPastLeeway = try await verdict(["iat": .int(now + 31)])
        let fractionalExp = try await verdict(["exp": .double(Double(now - 30) + 0.9)])
        XCTAssertNil(expiredAtLeeway, "exp exactly now - leeway is still valid")
        XCTAssertEqual(expiredPastLeeway, .expired)
        XCTAssertNil(nbfAtLeeway)
        XCTAssertEqual(nbfPastLeeway, .notYetValid)
        XCTAssertNil(iatAtLeeway)
        XCTAssertEqual(iatPastLeeway, .issuedInFuture)
        XCTAssertNil(fractionalExp)
        let farFuture = try await verdict(["exp": .int(Int.max), "nbf": .int(Int.min), "iat": .int(Int.min)])
        XCTAssertNil(farFuture, "extreme dates are compared without overflow")
        let farPast = try await verdict(["exp": .int(Int.min)])
        XCTAssertEqual(farPast, .expired)
        let hugeDouble = try await verdict(["exp": .double(1e300)])
        XCTAssertEqual(hugeDouble, .invalidClaim("exp", "a number of seconds since 1970"))

        let strict = authenticator([.secret(keys.secret)]) { $0.leewaySeconds = 0 }
        let token = try JWTForge.hmacToken(header: ["alg": "HS256"], claims: claims(["exp": .int(now - 1)]), secret: keys.secret)
        let error = await AuthError.of { () async throws(AuthError) in try await strict.verify(token: token, now: now) }
        XCTAssertEqual(error, .expired)
    }

    func testExpirationCanBeOptional() async throws {
        let token = try JWTForge.hmacToken(header: ["alg": "HS256"], claims: claims().with("exp", nil), secret: keys.secret)
        let lenient = authenticator([.secret(keys.secret)]) { $0.requireExpiration = false }
        let identity = try await lenient.verify(token: token, now: now)
        XCTAssertEqual(identity.userId, "user-1")
    }

    func testMaxTokenBytesAtItsEdge() async throws {
        let token = try JWTForge.hmacToken(header: ["alg": "HS256"], claims: claims(), secret: keys.secret)
        let length = token.utf8.count
        let atLimit = authenticator([.secret(keys.secret)]) { $0.maxTokenBytes = length }
        let identity = try await atLimit.verify(token: token, now: now)
        XCTAssertEqual(identity.userId, "user-1")
        let belowLimit = authenticator([.secret(keys.secret)]) { $0.maxTokenBytes = length - 1 }
        let error = await AuthError.of { () async throws(AuthError) in try await belowLimit.verify(token: token, now: now) }
        XCTAssertEqual(error, .tokenTooLarge(maxBytes: length - 1))
    }

    func testConfigurableClaimsAndRoles() async throws {
        let verifier = authenticator([.secret(keys.secret)]) {
            $0.userIdClaim = "uid"; $0.roleClaim = "kind"; $0.serviceRole = "backend"; $0.adminRole = "root"
        }
        func identity(_ claims: JSONObject) async throws -> Identity {
            let token = try JWTForge.hmacToken(header: ["alg": "HS256"], claims: claims, secret: keys.secret)
            return try await verifier.verify(token: token, now: now)
        }
        let service = try await identity(["uid": 42, "kind": "backend", "exp": .int(now + 60)])
        XCTAssertEqual(service.userId, "42")
        XCTAssertTrue(service.isService)
        XCTAssertFalse(service.isAdmin)
        let admin = try await identity(["uid": "a", "kind": "root", "exp": .int(now + 60)])
        XCTAssertTrue(admin.isAdmin)
        let plain = try await identity(["uid": "b", "exp": .int(now + 60)])
        XCTAssertEqual(plain.role, "")
        XCTAssertFalse(plain.isAdmin || plain.isService)
    }

    func testTokenRejectionForTheRuntime() async throws {
        let verifier: any TokenVerifying = authenticator([.secret(keys.secret)])
        do {
            _ = try await verifier.identity(fromToken: "")
            XCTFail("an empty token was accepted")
        } catch {
            XCTAssertEqual(error, TokenRejection.missing)
        }
        do {
            _ = try await verifier.identity(fromToken: "abcd.abcd.abcd")
            XCTFail("garbage was accepted")
        } catch {
            XCTAssertEqual(error.code, "invalid_token")
            XCTAssertEqual(error.message, "malformed token: header is not a JSON object")
        }
    }

    func testKeysAreBoundToTheirCurveAndSize() throws {
        XCTAssertThrowsError(try keys.publicKey("rsa1024")) { error in
            XCTAssertEqual("\(error)", "RSA key has 1024 bits; at least 2048 are required")
        }
        XCTAssertThrowsError(try keys.publicKey("p521")) { error in
            XCTAssertEqual("\(error)", "EC key is not on P-256 or P-384 (the curves of ES256 and ES384)")
        }
        XCTAssertThrowsError(try JWTKey.publicKey(pem: Array("not a key".utf8))) { error in
            XCTAssertTrue("\(error)".hasPrefix("no PEM PUBLIC KEY or CERTIFICATE found"), "\(error)")
        }
        let rsa = try keys.publicKey("rsa"), p256 = try keys.publicKey("p256"), secret = JWTKey.secret(keys.secret)
        XCTAssertEqual(JWTAlgorithm.allCases.filter(rsa.accepts), [.rs256, .rs384, .rs512])
        XCTAssertEqual(JWTAlgorithm.allCases.filter(p256.accepts), [.es256])
        XCTAssertEqual(JWTAlgorithm.allCases.filter(secret.accepts), [.hs256, .hs384, .hs512])
        XCTAssertThrowsError(try TokenSigner(key: rsa).sign(claims()), "a public key cannot sign")
    }

    func testBase64URLIsStrict() {
        for text in ["", "QQ", "QUI", "QUJD", "-_8"] {
            let bytes = Base64URL.decode(Array(text.utf8))
            XCTAssertNotNil(bytes, text)
            XCTAssertEqual(Base64URL.encode(bytes ?? []), text, "round trip of \(text)")
        }
        for text in ["QQ==", "QR", "Q", "QUJ+", "QUJ/", "QU J", "QUJD\n"] {
            XCTAssertNil(Base64URL.decode(Array(text.utf8)), "\(text.debugDescription) must be refused")
        }
    }
}

extension JSONObject {
    /// A copy with `name` set to `value`, or removed when `value` is nil.
    func with(_ name: String, _ value: JSONValue?) -> JSONObject {
        var copy = self
        copy[name] = value
        return copy
    }
}
