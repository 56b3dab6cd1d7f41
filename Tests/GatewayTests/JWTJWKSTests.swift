import Foundation
import GatewayProtocol
import Synchronization
import TestSupport
import XCTest
@testable import Gateway

final class JWTJWKSTests: XCTestCase {
    let keys = JWTTestKeys.shared
    let now = 1_800_000_000

    /// A JWKS endpoint stand-in: serves the current document and counts fetches.
    final class StubEndpoint: Sendable {
        let document = Mutex<[UInt8]?>(nil)
        let fetches = Atomic<Int>(0)
        /// How long a fetch takes, so that concurrent verifications overlap it.
        let latencyNanoseconds: UInt64
        init(latencyNanoseconds: UInt64 = 0) { self.latencyNanoseconds = latencyNanoseconds }
        func serve(_ keys: [JSONValue]) { document.withLock { $0 = JSONValue.object(["keys": .array(keys)]).serialized } }
        func fail() { document.withLock { $0 = nil } }
        var fetch: JWKSFetch {
            { [self] url in
                XCTAssertEqual(url, "https://id.example/jwks.json")
                fetches.add(1, ordering: .relaxed)
                if latencyNanoseconds > 0 { try await Task.sleep(nanoseconds: latencyNanoseconds) }
                guard let body = document.withLock({ $0 }) else { throw TestError("connection refused") }
                return body
            }
        }
        var count: Int { fetches.load(ordering: .relaxed) }
    }

    /// Seconds on a clock the test moves.
    final class ManualClock: Sendable {
        let seconds = Mutex<Double>(0)
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
        var read: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    }

    func authenticator(_ endpoint: StubEndpoint, clock: ManualClock, ttl: Double = 600, minRefetch: Double = 30)
        -> Authenticator {
        let cache = JWKSCache(url: "https://id.example/jwks.json", fetch: endpoint.fetch, ttlSeconds: ttl,
                              minRefetchSeconds: minRefetch, now: clock.read)
        return Authenticator(settings: .init(), keys: [], jwks: cache)
    }

    func token(_ keyName: String, kid: String, algorithm: JWTAlgorithm? = nil) throws -> String {
        try TokenSigner(key: try keys.privateKey(keyName, id: kid), algorithm: algorithm)
            .sign(["sub": "user-7", "exp": .int(now + 600)])
    }

    func verdict(_ verifier: Authenticator, _ token: String) async -> AuthError? {
        await AuthError.of { () async throws(AuthError) in try await verifier.verify(token: token, now: now) }
    }

    func testRSAAndECKeysFromTheSetVerifyTheirTokens() async throws {
        let endpoint = StubEndpoint(), clock = ManualClock()
        endpoint.serve([try keys.jwk("rsa", kid: "r1"), try keys.jwk("p256", kid: "e1"), try keys.jwk("p384", kid: "e2"),
                        try keys.jwk("rsa", kid: "enc", extra: ["use": "enc"]),
                        ["kty": "oct", "kid": "sym", "k": "c2VjcmV0"], ["kty": "EC", "crv": "P-521", "kid": "big", "x": "AA", "y": "AA"]])
        let verifier = authenticator(endpoint, clock: clock)
        for (name, kid) in [("rsa", "r1"), ("p256", "e1"), ("p384", "e2")] {
            let identity = try await verifier.verify(token: try token(name, kid: kid), now: now)
            XCTAssertEqual(identity.userId, "user-7", kid)
        }
        XCTAssertEqual(endpoint.count, 1, "the set is fetched once and cached")
        let encryptionKey = await verdict(verifier, try token("rsa", kid: "enc"))
        XCTAssertEqual(encryptionKey, .unknownKeyId, "a key for encryption does not verify signatures")
        let crossed = await verdict(verifier, try token("p256", kid: "e2"))
        XCTAssertEqual(crossed, .algorithmNotAllowed("ES256"), "a P-384 key does not check ES256")
        let forged = await verdict(verifier, try token("p256", kid: "r1", algorithm: .es256))
        XCTAssertEqual(forged, .algorithmNotAllowed("ES256"), "an RSA key does not check ES256")
    }

    func testUnknownKeyIdRefetchesAtMostOncePerInterval() async throws {
        let endpoint = StubEndpoint(), clock = ManualClock()
        endpoint.serve([try keys.jwk("rsa", kid: "old")])
        let verifier = authenticator(endpoint, clock: clock, minRefetch: 30)
        _ = try await verifier.verify(token: try token("rsa", kid: "old"), now: now)
        XCTAssertEqual(endpoint.count, 1)

        clock.advance(30)
        // The provider rotated: the new kid appears in the set.
        endpoint.serve([try keys.jwk("rsa", kid: "old"), try keys.jwk("p256", kid: "new")])
        let rotated = try await verifier.verify(token: try token("p256", kid: "new"), now: now)
        XCTAssertEqual(rotated.userId, "user-7")
        XCTAssertEqual(endpoint.count, 2, "an unknown kid fetched the set again")

        clock.advance(29)
        for attempt in 0..<5 {
            let error = await verdict(verifier, try token("p384", kid: "made-up-\(attempt)"))
            XCTAssertEqual(error, .unknownKeyId)
        }
        XCTAssertEqual(endpoint.count, 2, "made-up kids within the interval do not fetch")
        clock.advance(1)
        let error = await verdict(verifier, try token("p384", kid: "made-up-again"))
        XCTAssertEqual(error, .unknownKeyId)
        XCTAssertEqual(endpoint.count, 3, "once the interval has passed, one more fetch")
    }

    func testKeysExpireAfterTheirTTL() async throws {
        let endpoint = StubEndpoint(), clock = ManualClock()
        endpoint.serve([try keys.jwk("rsa", kid: "r1")])
        let verifier = authenticator(endpoint, clock: clock, ttl: 600)
        let signed = try token("rsa", kid: "r1")
        _ = try await verifier.verify(token: signed, now: now)
        clock.advance(599)
        _ = try await verifier.verify(token: signed, now: now)
        XCTAssertEqual(endpoint.count, 1)
        clock.advance(1)
        endpoint.serve([try keys.jwk("p256", kid: "e1")])
        let revoked = await verdict(verifier, signed)
        XCTAssertEqual(revoked, .unknownKeyId, "a key removed from the set stops verifying after the TTL")
        XCTAssertEqual(endpoint.count, 2)
    }

    func testFetchFailures() async throws {
        let endpoint = StubEndpoint(), clock = ManualClock()
        let verifier = authenticator(endpoint, clock: clock, ttl: 60, minRefetch: 10)
        let signed = try token("rsa", kid: "r1")
        let unavailable = await verdict(verifier, signed)
        XCTAssertEqual(unavailable?.code, "temporarily_unavailable")
        XCTAssertEqual(unavailable?.message, "signing keys unavailable: the identity provider's keys could not be loaded")

        clock.advance(10)
        endpoint.serve([try keys.jwk("rsa", kid: "r1")])
        _ = try await verifier.verify(token: signed, now: now)
        clock.advance(60)
        endpoint.fail()
        let stillValid = try await verifier.verify(token: signed, now: now)
        XCTAssertEqual(stillValid.userId, "user-7", "keys fetched earlier outlive a failed refresh")
        XCTAssertEqual(endpoint.count, 3)
    }

    func testConcurrentVerificationsShareOneFetch() async throws {
        let endpoint = StubEndpoint(latencyNanoseconds: 100_000_000), clock = ManualClock()
        endpoint.serve([try keys.jwk("p256", kid: "e1")])
        let verifier = authenticator(endpoint, clock: clock)
        let signed = try token("p256", kid: "e1")
        let now = self.now
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await verifier.verify(token: signed, now: now).userId } }
            for try await userId in group { XCTAssertEqual(userId, "user-7") }
        }
        XCTAssertEqual(endpoint.count, 1)
    }

    func testDocumentParsing() throws {
        func problem(_ json: String) -> String {
            do { _ = try JWKS.parse(Array(json.utf8)); return "accepted" } catch { return error.description }
        }
        XCTAssertEqual(problem(#"{"nokeys": []}"#), #"JWKS is not a JSON object with a "keys" array"#)
        XCTAssertEqual(problem(#"{"keys": [1]}"#), "keys[0] is not an object")
        XCTAssertEqual(problem(#"{"keys": [{"kty": "RSA", "e": "AQAB"}]}"#), "keys[0]: n is missing or not base64url")
        XCTAssertEqual(problem(#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]}"#),
                       "keys[0]: P-256 coordinates must be 32 bytes each")
        // A point that is not on the curve: the classic invalid-curve attack input.
        let offCurve = Base64URL.encode([UInt8](repeating: 1, count: 32))
        XCTAssertTrue(problem(#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "\#(offCurve)", "y": "\#(offCurve)"}]}"#)
            .hasPrefix("keys[0]: "), "an off-curve point is refused")
        XCTAssertEqual(problem(#"{"keys": []}"#), "accepted")
        let named = try JWKS.parse(JSONValue.object(["keys": [try keys.jwk("rsa", kid: "r", extra: ["alg": "RS256"])]])
            .serialized)
        XCTAssertEqual(JWTAlgorithm.allCases.filter(named[0].accepts), [.rs256], "a JWK's alg binds the key to it")
        XCTAssertThrowsError(try JWKS.parse(JSONValue.object(["keys": [try keys.jwk("rsa", kid: "r", extra: ["alg": "ES256"])]])
            .serialized))
    }
}
