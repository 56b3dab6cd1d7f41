import Foundation
import Gateway
import GatewayProtocol
import XCTest

/// Requests as the server sees them, and responses as the caller sees them, over real loopback sockets.
final class OutboundHTTPRequestTests: OutboundHTTPTestCase {
    func testGetPassesHeadersAndReturnsStatusHeadersAndBody() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let response = try await client.send(OutboundRequest(
            url: "http://127.0.0.1:\(server.port)/inspect?x=1", headers: [("X-Trace", "abc 123"), ("Accept", "text/plain")]))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("x-echo"), "yes")
        let seen = response.text
        XCTAssertTrue(seen.hasPrefix("GET /inspect?x=1\n"), seen)
        XCTAssertTrue(seen.contains("\nX-Trace: abc 123\n"), seen)
        XCTAssertTrue(seen.contains("\nAccept: text/plain\n"), seen)
        XCTAssertTrue(seen.contains("\nHost: 127.0.0.1:\(server.port)\n"), seen)
        XCTAssertFalse(seen.contains("Authorization"), "no credentials unless asked: \(seen)")
        XCTAssertEqual(response.header("Content-Length"), String(response.body.count))
    }

    func testPostSendsBodyAndContentTypeWithoutExpect() async throws {
        let server = try makeServer()
        // Above curl's own threshold (1 MiB) for asking `Expect: 100-continue`.
        let body = OutboundTestServer.pattern(1_500_000)
        let client = try makeClient { $0.maxResponseBytes = 2_000_000 }
        let response = try await client.send(OutboundRequest(
            method: "POST", url: "http://127.0.0.1:\(server.port)/inspect",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body))
        XCTAssertEqual(response.status, 200)
        let split = try XCTUnwrap(response.body.firstRange(of: Array("\n\n".utf8)))
        let head = String(decoding: response.body[..<split.lowerBound], as: UTF8.self)
        XCTAssertTrue(head.hasPrefix("POST /inspect\n"), head)
        XCTAssertTrue(head.contains("\nContent-Type: application/x-www-form-urlencoded"), head)
        XCTAssertTrue(head.contains("\nContent-Length: 1500000"), head)
        XCTAssertFalse(head.lowercased().contains("expect"), head)
        XCTAssertEqual(Array(response.body[split.upperBound...]), body)
    }

    func testEmptyPostAndOtherMethods() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let url = "http://127.0.0.1:\(server.port)/inspect"
        let emptyPost = try await client.send(OutboundRequest(method: "POST", url: url))
        XCTAssertTrue(emptyPost.text.hasPrefix("POST /inspect\n"), emptyPost.text)
        XCTAssertTrue(emptyPost.text.contains("\nContent-Length: 0\n"), emptyPost.text)
        let put = try await client.send(OutboundRequest(method: "PUT", url: url, body: Array("{\"a\":1}".utf8)))
        XCTAssertTrue(put.text.hasPrefix("PUT /inspect\n"), put.text)
        XCTAssertTrue(put.text.hasSuffix("\n\n{\"a\":1}"), put.text)
        let delete = try await client.send(OutboundRequest(method: "DELETE", url: url))
        XCTAssertTrue(delete.text.hasPrefix("DELETE /inspect\n"), delete.text)
        // HEAD: the announced length, no body to wait for (waiting for one would end in a timeout).
        let head = try await client.send(OutboundRequest(method: "HEAD", url: "http://127.0.0.1:\(server.port)/bytes/10",
                                                         timeoutMs: 2_000))
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Length"), "10")
        XCTAssertEqual(head.body, [])
    }

    /// RFC 7617: `Basic ` + base64(user-id ":" password), both in UTF-8.
    func testBasicAuthAsRFC7617Says() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let user = "AC0123456789abcdef", password = "pä:ss wörd"
        let response = try await client.send(OutboundRequest(
            method: "POST", url: "http://127.0.0.1:\(server.port)/inspect", body: Array("To=%2B15550001".utf8),
            basicAuth: (user: user, password: password)))
        let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        XCTAssertTrue(response.text.contains("\nAuthorization: \(expected)\n"), response.text)
        XCTAssertTrue(response.text.hasSuffix("\n\nTo=%2B15550001"), response.text)
    }

    func testErrorStatusesAreResponsesNotErrors() async throws {
        let server = try makeServer()
        let client = try makeClient()
        for code in [201, 204, 301, 404, 429, 500, 503] {
            let response = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(server.port)/status/\(code)"))
            XCTAssertEqual(response.status, code)
            // 204 has no body; a 301 is not followed (its Location would be).
            XCTAssertEqual(response.text, code == 204 ? "" : "status-\(code)")
        }
    }

    func testConnectionIsReusedAcrossRequests() async throws {
        let server = try makeServer()
        let client = try makeClient()
        var peers: Set<String> = []
        for _ in 0..<5 {
            peers.insert(try await client.send(OutboundRequest(url: "http://127.0.0.1:\(server.port)/peer")).text)
        }
        XCTAssertEqual(peers.count, 1, "five requests in a row on one kept-alive connection: \(peers)")
    }

    func testUnusableRequestsAreRefusedBeforeAnythingIsSent() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let base = "http://127.0.0.1:\(server.port)"
        let cases: [(OutboundRequest, String)] = [
            (OutboundRequest(url: "file:///etc/passwd"), "curl error 1"),
            (OutboundRequest(url: "ftp://127.0.0.1:\(server.port)/"), "curl error 1"),
            (OutboundRequest(url: "http://"), "curl error 3"),
            (OutboundRequest(method: "GE T", url: base + "/inspect"), "not an HTTP token"),
            (OutboundRequest(url: base + "/inspect", headers: [("X-A", "1\r\nX-Injected: 1")]), "CR, LF or NUL"),
            (OutboundRequest(url: base + "/inspect", headers: [("Bad Name", "1")]), "not an HTTP token"),
            (OutboundRequest(url: base + "/inspect", basicAuth: (user: "a:b", password: "c")), "cannot contain ':'"),
            (OutboundRequest(url: base + "/inspect", basicAuth: (user: "a", password: "c\u{7}")), "control characters"),
        ]
        for (request, message) in cases {
            let error = await error(client, request)
            XCTAssertEqual(error?.kind, .invalidRequest, "\(request.url): \(String(describing: error))")
            XCTAssertTrue(error?.message.contains(message) ?? false, "\(String(describing: error)) should say \(message)")
        }
        XCTAssertEqual(server.probe.maxActive, 0)
        XCTAssertEqual(client.pendingCount, 0, "refused requests give their place back")
    }

    func testErrorMessagesNeverCarryCredentialsOrQuery() async throws {
        let refused = try RawTestServer(listening: false)
        let client = try makeClient()
        let error = await error(client, OutboundRequest(url: "http://user:secret@127.0.0.1:\(refused.port)/path?token=t0p"))
        XCTAssertEqual(error?.kind, .connect)
        let message = error?.message ?? ""
        XCTAssertTrue(message.hasPrefix("GET http://127.0.0.1:\(refused.port)/path: "), message)
        XCTAssertFalse(message.contains("secret") || message.contains("t0p"), message)
    }
}
