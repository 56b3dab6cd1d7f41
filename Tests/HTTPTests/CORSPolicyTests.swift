import XCTest
@testable import HTTP

final class CORSPolicyTests: XCTestCase {
    private let app = "https://app.fitmate.kr"

    private func head(_ method: String, _ headers: HTTPHeaders) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: "/api/x", headers: headers)
    }

    func testIsAllowed() {
        let exact = CORSPolicy(allowedOrigins: [app])
        XCTAssertTrue(exact.isAllowed(origin: app))
        XCTAssertTrue(exact.isAllowed(origin: "https://APP.fitmate.kr"))
        XCTAssertFalse(exact.isAllowed(origin: "https://evil.example"))
        XCTAssertFalse(exact.isAllowed(origin: "https://app.fitmate.kr.evil.example"))
        XCTAssertFalse(exact.isAllowed(origin: "http://app.fitmate.kr"))
        XCTAssertFalse(exact.isAllowed(origin: "*"))
        let any = CORSPolicy(allowedOrigins: ["*"])
        XCTAssertTrue(any.isAllowed(origin: "https://whatever.example"))
        XCTAssertFalse(any.isAllowed(origin: "null"))   // with credentials
        XCTAssertTrue(CORSPolicy(allowedOrigins: ["*"], allowCredentials: false).isAllowed(origin: "null"))
        XCTAssertTrue(CORSPolicy(allowedOrigins: ["null"]).isAllowed(origin: "null"))
    }

    func testApplyAllowedOrigin() {
        let policy = CORSPolicy(allowedOrigins: [app], exposedHeaders: ["X-Request-Id"])
        var r = HTTPResponse.json("{}")
        policy.apply(to: &r, for: head("GET", ["Origin": app]))
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], app)
        XCTAssertEqual(r.headers["Access-Control-Allow-Credentials"], "true")
        XCTAssertEqual(r.headers["Access-Control-Expose-Headers"], "X-Request-Id")
        XCTAssertEqual(r.headers.values("Vary"), ["Origin"])
    }

    func testApplyDeniedOriginStillVaries() {
        let policy = CORSPolicy(allowedOrigins: [app])
        var r = HTTPResponse.json("{}")
        policy.apply(to: &r, for: head("GET", ["Origin": "https://evil.example"]))
        XCTAssertNil(r.headers["Access-Control-Allow-Origin"])
        XCTAssertNil(r.headers["Access-Control-Allow-Credentials"])
        XCTAssertEqual(r.headers.values("Vary"), ["Origin"])
        var noOrigin = HTTPResponse.json("{}")
        policy.apply(to: &noOrigin, for: head("GET", [:]))
        XCTAssertNil(noOrigin.headers["Access-Control-Allow-Origin"])
        XCTAssertEqual(noOrigin.headers.values("Vary"), ["Origin"])
    }

    func testWildcardWithCredentialsEchoesOriginAndVaries() {
        let policy = CORSPolicy(allowedOrigins: ["*"], allowCredentials: true)
        var r = HTTPResponse(status: 200, headers: ["Vary": "Accept-Encoding"])
        policy.apply(to: &r, for: head("GET", ["Origin": "https://partner.example"]))
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], "https://partner.example")
        XCTAssertEqual(r.headers["Access-Control-Allow-Credentials"], "true")
        XCTAssertEqual(r.headers.values("Vary"), ["Accept-Encoding, Origin"])
        XCTAssertFalse(r.headers.values("Access-Control-Allow-Origin").contains("*"))
    }

    func testWildcardWithoutCredentialsSendsStar() {
        let policy = CORSPolicy(allowedOrigins: ["*"], allowCredentials: false)
        var r = HTTPResponse(status: 200)
        policy.apply(to: &r, for: head("GET", ["Origin": "https://partner.example"]))
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], "*")
        XCTAssertNil(r.headers["Access-Control-Allow-Credentials"])
        XCTAssertNil(r.headers["Vary"])
    }

    func testApplyKeepsHandlerFieldsAndDoesNotDuplicateVary() {
        let policy = CORSPolicy(allowedOrigins: [app])
        var r = HTTPResponse(status: 200, headers: ["Access-Control-Allow-Origin": "https://other", "Vary": "origin"])
        policy.apply(to: &r, for: head("GET", ["Origin": app]))
        XCTAssertEqual(r.headers.values("Access-Control-Allow-Origin"), ["https://other"])
        XCTAssertEqual(r.headers.values("Vary"), ["origin"])
    }

    func testPreflightAllowed() throws {
        let policy = CORSPolicy(allowedOrigins: [app], maxAgeSeconds: 600)
        let req = head("OPTIONS", ["Origin": app, "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers": "content-type"])
        let r = try XCTUnwrap(policy.preflightResponse(for: req))
        XCTAssertEqual(r.status, 204)
        XCTAssertTrue(r.body.isEmpty)
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], app)
        XCTAssertEqual(r.headers["Access-Control-Allow-Credentials"], "true")
        XCTAssertEqual(r.headers["Access-Control-Allow-Methods"], "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        XCTAssertEqual(r.headers["Access-Control-Allow-Headers"], "Authorization, Content-Type")
        XCTAssertEqual(r.headers["Access-Control-Max-Age"], "600")
        XCTAssertEqual(r.headers.values("Vary"), ["Origin"])
    }

    func testPreflightWildcardWithCredentialsEchoes() throws {
        let policy = CORSPolicy(allowedOrigins: ["*"])
        let r = try XCTUnwrap(policy.preflightResponse(
            for: head("OPTIONS", ["Origin": "https://x.example", "Access-Control-Request-Method": "GET"])))
        XCTAssertEqual(r.headers["Access-Control-Allow-Origin"], "https://x.example")
        XCTAssertEqual(r.headers.values("Vary"), ["Origin"])
    }

    func testPreflightDenied() throws {
        let policy = CORSPolicy(allowedOrigins: [app])
        let r = try XCTUnwrap(policy.preflightResponse(
            for: head("OPTIONS", ["Origin": "https://evil.example", "Access-Control-Request-Method": "POST"])))
        XCTAssertEqual(r.status, 403)
        XCTAssertNil(r.headers["Access-Control-Allow-Origin"])
        XCTAssertNil(r.headers["Access-Control-Allow-Methods"])
    }

    func testNotAPreflight() {
        let policy = CORSPolicy(allowedOrigins: [app])
        XCTAssertNil(policy.preflightResponse(for: head("OPTIONS", ["Origin": app])))
        XCTAssertNil(policy.preflightResponse(for: head("OPTIONS", ["Access-Control-Request-Method": "POST"])))
        XCTAssertNil(policy.preflightResponse(for: head("POST", ["Origin": app, "Access-Control-Request-Method": "POST"])))
        XCTAssertNil(policy.preflightResponse(for: head("GET", ["Origin": app])))
    }
}
