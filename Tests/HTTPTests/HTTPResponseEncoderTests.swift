import XCTest
@testable import HTTP

final class HTTPResponseEncoderTests: XCTestCase {
    private let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    private func encode(_ r: HTTPResponse, keepAlive: Bool = true, head: Bool = false, http10: Bool = false) -> String {
        var out: [UInt8] = []
        HTTPResponseEncoder.encode(r, keepAlive: keepAlive, isHeadRequest: head, http10: http10, date: date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testKeepAlive200() {
        let r = HTTPResponse.text(200, "hi")
        XCTAssertEqual(encode(r), "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       + "Content-Length: 2\r\n\r\nhi")
    }

    func testCloseAddsConnectionClose() {
        let r = HTTPResponse(status: 404, body: Array("x".utf8))
        XCTAssertEqual(encode(r, keepAlive: false),
                       "HTTP/1.1 404 Not Found\r\nDate: \(date)\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
    }

    func testHeadHasLengthButNoBody() {
        let r = HTTPResponse(status: 200, body: Array("hello".utf8))
        XCTAssertEqual(encode(r, head: true), "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 5\r\n\r\n")
    }

    func testHeadKeepsHandlerContentLength() {
        let r = HTTPResponse(status: 200, headers: ["Content-Length": "1234"])
        XCTAssertEqual(encode(r, head: true), "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 1234\r\n\r\n")
    }

    func test204HasNoLengthNoBodyAndDropsFramingFields() {
        let r = HTTPResponse(status: 204, headers: ["Content-Length": "3", "X-A": "b"], body: [1, 2, 3])
        XCTAssertEqual(encode(r), "HTTP/1.1 204 No Content\r\nDate: \(date)\r\nX-A: b\r\n\r\n")
    }

    func test304KeepsHandlerLengthButSendsNoBody() {
        XCTAssertEqual(encode(HTTPResponse(status: 304, body: [1])), "HTTP/1.1 304 Not Modified\r\nDate: \(date)\r\n\r\n")
        XCTAssertEqual(encode(HTTPResponse(status: 304, headers: ["Content-Length": "10"])),
                       "HTTP/1.1 304 Not Modified\r\nDate: \(date)\r\nContent-Length: 10\r\n\r\n")
    }

    func testHTTP10KeepAliveAndClose() {
        let r = HTTPResponse(status: 200)
        XCTAssertEqual(encode(r, http10: true),
                       "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(encode(r, keepAlive: false, http10: true),
                       "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    func testNeverDuplicatesHandlerFields() {
        let r = HTTPResponse(status: 101, headers: ["Upgrade": "websocket", "Connection": "Upgrade",
                                                    "Date": "Mon, 07 Nov 1994 00:00:00 GMT"])
        XCTAssertEqual(encode(r, keepAlive: false),
                       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       + "Date: Mon, 07 Nov 1994 00:00:00 GMT\r\n\r\n")
        let chunked = HTTPResponse(status: 200, headers: ["transfer-encoding": "chunked"], body: Array("0\r\n\r\n".utf8))
        XCTAssertEqual(encode(chunked), "HTTP/1.1 200 OK\r\nDate: \(date)\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n")
    }

    func testCRLFInValuesCannotSplitTheResponse() {
        let r = HTTPResponse(status: 200, headers: ["X-Echo": "a\r\nSet-Cookie: evil=1"])
        XCTAssertEqual(encode(r), "HTTP/1.1 200 OK\r\nDate: \(date)\r\nX-Echo: a  Set-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n")
    }

    func testAppendsToExistingBufferAndContinueBytes() {
        var out: [UInt8] = HTTPResponseEncoder.continueBytes
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "HTTP/1.1 100 Continue\r\n\r\n")
        HTTPResponseEncoder.encode(HTTPResponse(status: 200), keepAlive: true, date: date, into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 0\r\n\r\n")
    }

    func testInvalidStatusBecomes500() {
        XCTAssertTrue(encode(HTTPResponse(status: 42)).hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
    }

    func testReasonPhrases() {
        for (code, phrase) in [(200, "OK"), (101, "Switching Protocols"), (204, "No Content"), (308, "Permanent Redirect"),
                               (405, "Method Not Allowed"), (413, "Content Too Large"), (414, "URI Too Long"),
                               (426, "Upgrade Required"), (429, "Too Many Requests"),
                               (431, "Request Header Fields Too Large"), (505, "HTTP Version Not Supported"),
                               (499, "Client Error"), (599, "Server Error")] {
            XCTAssertEqual(HTTPStatus.reasonPhrase(code), phrase)
        }
    }

    func testJSONConvenienceConstructors() {
        let j = HTTPResponse.json("{\"ok\":true}")
        XCTAssertEqual(j.status, 200)
        XCTAssertEqual(j.headers["content-type"], "application/json; charset=utf-8")
        let e = HTTPResponse.error(404, "no \"room\" \\ here\n\u{01}é")
        XCTAssertEqual(e.status, 404)
        XCTAssertEqual(String(decoding: e.body, as: UTF8.self),
                       "{\"error\":\"Not Found\",\"message\":\"no \\\"room\\\" \\\\ here\\n\\u0001é\",\"status\":404}")
        XCTAssertEqual(String(decoding: HTTPResponse.error(429, "slow down", code: "rate_limited").body, as: UTF8.self),
                       #"{"error":"Too Many Requests","message":"slow down","status":429,"code":"rate_limited"}"#)
        let m = HTTPResponse.methodNotAllowed(allowed: ["GET", "HEAD"])
        XCTAssertEqual(m.headers["Allow"], "GET, HEAD")
        XCTAssertEqual(HTTPResponse.text(400, "bad").headers["Content-Type"], "text/plain; charset=utf-8")
    }

    // MARK: Date cache

    func testDateFormat() {
        let cache = HTTPDateCache()
        XCTAssertEqual(cache.current(nowSeconds: 784111777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(cache.current(nowSeconds: 0), "Thu, 01 Jan 1970 00:00:00 GMT")
        XCTAssertEqual(cache.current(nowSeconds: 951782400), "Tue, 29 Feb 2000 00:00:00 GMT")
        XCTAssertEqual(cache.current(nowSeconds: 4102444799), "Thu, 31 Dec 2099 23:59:59 GMT")
        XCTAssertEqual(cache.current().utf8.count, 29)
    }

    func testDateFormattedOncePerSecond() {
        let cache = HTTPDateCache()
        for _ in 0..<100 { _ = cache.current(nowSeconds: 1_700_000_000) }
        XCTAssertEqual(cache.formatCount, 1)
        XCTAssertEqual(cache.current(nowSeconds: 1_700_000_001), "Tue, 14 Nov 2023 22:13:21 GMT")
        XCTAssertEqual(cache.formatCount, 2)
    }
}
