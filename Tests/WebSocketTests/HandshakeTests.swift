import XCTest
import HTTP
@testable import WebSocket

final class HandshakeTests: XCTestCase {
    private func request(_ extra: [(String, String)] = [], version: String = "13", key: String = "dGhlIHNhbXBsZSBub25jZQ==") -> HTTPRequestHead {
        var h = HTTPHeaders([("Host", "example.com"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
                             ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", version)])
        for (n, v) in extra { h.add(n, v) }
        return HTTPRequestHead(method: "GET", target: "/socket.io/?EIO=4&transport=websocket", headers: h)
    }

    func testAcceptKeyRFCExample() {
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testBase64() {
        for (raw, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            XCTAssertEqual(Base64.encode(Array(raw.utf8)), enc)
            XCTAssertEqual(Base64.decode(enc), Array(raw.utf8))
        }
        for bad in ["Zg=", "Z===", "Zm9v=", "Zg==Zg==", "Zm 9", "Zm=v"] { XCTAssertNil(Base64.decode(bad), bad) }
    }

    func testServerAccepts() {
        guard case .accept(let a) = WebSocketHandshake.server(request: request(), configuration: WebSocketConfiguration()) else {
            return XCTFail("rejected")
        }
        XCTAssertEqual(a.response.status, 101)
        XCTAssertEqual(a.response.headers["Sec-WebSocket-Accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        XCTAssertEqual(a.response.headers["Upgrade"], "websocket")
        XCTAssertNil(a.response.headers["Sec-WebSocket-Extensions"])
        XCTAssertNil(a.deflate)
        XCTAssertNil(a.subprotocol)
    }

    func testWrongVersionGets426() {
        for v in ["8", "12", "14", "13, 8"] {
            guard case .reject(let r) = WebSocketHandshake.server(request: request(version: v), configuration: WebSocketConfiguration()) else {
                XCTFail("accepted version \(v)"); continue
            }
            XCTAssertEqual(r.status, 426)
            XCTAssertEqual(r.headers["Sec-WebSocket-Version"], "13")
        }
    }

    func testBadRequestsGet400() {
        var requests: [HTTPRequestHead] = [request(key: "short"), request(key: "dGhlIHNhbXBsZSBub25jZQ")]
        var post = request(); post.method = "POST"; requests.append(post)
        var noUpgrade = request(); noUpgrade.headers.remove("Upgrade"); requests.append(noUpgrade)
        var noConnection = request(); noConnection.headers.set("Connection", "keep-alive"); requests.append(noConnection)
        var noKey = request(); noKey.headers.remove("Sec-WebSocket-Key"); requests.append(noKey)
        var http10 = request(); http10.versionMinor = 0; requests.append(http10)
        for r in requests {
            guard case .reject(let resp) = WebSocketHandshake.server(request: r, configuration: WebSocketConfiguration()) else {
                XCTFail("accepted \(r)"); continue
            }
            XCTAssertEqual(resp.status, 400)
        }
    }

    func testSubprotocolSelection() {
        let r = request([("Sec-WebSocket-Protocol", "chat, superchat"), ("Sec-WebSocket-Protocol", "v2")])
        var seen: [String] = []
        guard case .accept(let a) = WebSocketHandshake.server(request: r, configuration: WebSocketConfiguration(),
                                                              selectSubprotocol: { seen = $0; return "superchat" }) else { return XCTFail() }
        XCTAssertEqual(seen, ["chat", "superchat", "v2"])
        XCTAssertEqual(a.subprotocol, "superchat")
        XCTAssertEqual(a.response.headers["Sec-WebSocket-Protocol"], "superchat")
        // A choice the client did not offer is ignored.
        guard case .accept(let b) = WebSocketHandshake.server(request: r, configuration: WebSocketConfiguration(),
                                                              selectSubprotocol: { _ in "other" }) else { return XCTFail() }
        XCTAssertNil(b.subprotocol)
        XCTAssertNil(b.response.headers["Sec-WebSocket-Protocol"])
    }

    func testClientServerRoundTrip() throws {
        var config = WebSocketConfiguration()
        config.compression = PerMessageDeflateConfiguration()
        let hs = WebSocketClientHandshake(host: "example.com", target: "/ws", subprotocols: ["v1"], configuration: config)
        XCTAssertEqual(Base64.decode(hs.key)?.count, 16)
        XCTAssertNotEqual(hs.key, WebSocketClientHandshake(host: "h", target: "/", configuration: config).key)
        XCTAssertEqual(hs.requestHead.headers["Sec-WebSocket-Version"], "13")
        guard case .accept(let a) = WebSocketHandshake.server(request: hs.requestHead, configuration: config,
                                                              selectSubprotocol: { $0.first }) else { return XCTFail() }
        let agreed = try hs.validate(status: a.response.status, headers: a.response.headers)
        XCTAssertEqual(agreed.subprotocol, "v1")
        let d = try XCTUnwrap(agreed.deflate)
        let s = try XCTUnwrap(a.deflate)
        XCTAssertEqual(d.serverNoContextTakeover, s.serverNoContextTakeover)
        XCTAssertEqual(d.clientNoContextTakeover, s.clientNoContextTakeover)
        XCTAssertEqual(d.serverMaxWindowBits, s.serverMaxWindowBits)
        XCTAssertEqual(d.clientMaxWindowBits, s.clientMaxWindowBits)
        XCTAssertEqual(s.clientMaxWindowBits, 12)
    }

    func testClientRejectsBadResponses() {
        let hs = WebSocketClientHandshake(host: "h", target: "/", configuration: WebSocketConfiguration(), key: "dGhlIHNhbXBsZSBub25jZQ==")
        let good = HTTPHeaders([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")])
        XCTAssertNoThrow(try hs.validate(status: 101, headers: good))
        XCTAssertThrowsError(try hs.validate(status: 200, headers: good))
        var badAccept = good; badAccept.set("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        XCTAssertThrowsError(try hs.validate(status: 101, headers: badAccept)) { XCTAssertEqual($0 as? WebSocketHandshakeError, .badAccept) }
        var proto = good; proto.add("Sec-WebSocket-Protocol", "chat")
        XCTAssertThrowsError(try hs.validate(status: 101, headers: proto))
        var ext = good; ext.add("Sec-WebSocket-Extensions", "permessage-deflate")
        XCTAssertThrowsError(try hs.validate(status: 101, headers: ext), "extension we did not offer")
    }
}
