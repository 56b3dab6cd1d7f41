import CZlib
import EventLoop
import HTTP
import TestSupport
import XCTest

/// CORS, compression, 404/405 and HEAD through a real server.
final class HTTPServerFeatureTests: XCTestCase {
    var server: TestHTTPServer!
    var client: HTTPTestClient!

    override func setUpWithError() throws {
        let cors = CORSPolicy(allowedOrigins: ["https://app.example"], allowCredentials: true)
        server = try TestHTTPServer(configuration: HTTPServerConfiguration(headerTimeoutMs: 2_000, idleTimeoutMs: 5_000,
                                                                           cors: cors, compressionThresholdBytes: 1024))
        client = try HTTPTestClient(port: server.port)
    }

    override func tearDown() { server.stop() }

    func testPreflightFromAnAllowedOriginIs204WithAllowFields() throws {
        try client.send("OPTIONS /hello HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                        + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 204)
        XCTAssertEqual(response.header("Access-Control-Allow-Origin"), "https://app.example")
        XCTAssertEqual(response.header("Access-Control-Allow-Credentials"), "true")
        XCTAssertTrue(response.header("Access-Control-Allow-Methods")?.contains("POST") ?? false)
        XCTAssertTrue(response.header("Access-Control-Allow-Headers")?.contains("Content-Type") ?? false)
        XCTAssertNotNil(response.header("Access-Control-Max-Age"))
        XCTAssertNil(response.header("Content-Length"), "a 204 carries no Content-Length")
        XCTAssertEqual(server.probe.total(), 0, "a preflight never reaches the route")
        // The connection is intact after the body-less 204.
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testPreflightFromADisallowedOriginIs403() throws {
        try client.send("OPTIONS /hello HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n"
                        + "Access-Control-Request-Method: POST\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 403)
        XCTAssertNil(response.header("Access-Control-Allow-Origin"))
        XCTAssertTrue(response.header("Vary")?.contains("Origin") ?? false)
    }

    func testActualRequestFromAnAllowedOriginGetsAllowOrigin() throws {
        try client.send(get("/hello", "Origin: https://app.example\r\n"))
        let allowed = try client.readResponse()
        XCTAssertEqual(allowed.text, "hello")
        XCTAssertEqual(allowed.header("Access-Control-Allow-Origin"), "https://app.example")
        XCTAssertTrue(allowed.header("Vary")?.contains("Origin") ?? false)
        try client.send(get("/hello", "Origin: https://evil.example\r\n"))
        XCTAssertNil(try client.readResponse().header("Access-Control-Allow-Origin"))
    }

    func testLargeJSONIsGzippedWhenAcceptedAndSmallOneIsNot() throws {
        let expected = TestHTTPServer.json(bytes: 4000)
        try client.send(get("/json/4000", "Accept-Encoding: gzip, deflate\r\n"))
        let compressed = try client.readResponse()
        XCTAssertEqual(compressed.status, 200)
        XCTAssertEqual(compressed.header("Content-Encoding"), "gzip")
        XCTAssertTrue(compressed.header("Vary")?.contains("Accept-Encoding") ?? false)
        XCTAssertLessThan(compressed.body.count, expected.utf8.count)
        XCTAssertEqual(Int(compressed.header("Content-Length") ?? ""), compressed.body.count)
        XCTAssertEqual(String(decoding: try gunzip(compressed.body), as: UTF8.self), expected)

        try client.send(get("/json/500", "Accept-Encoding: gzip\r\n"))
        let small = try client.readResponse()
        XCTAssertNil(small.header("Content-Encoding"), "under the threshold: identity")
        XCTAssertEqual(small.text, TestHTTPServer.json(bytes: 500))

        try client.send(get("/json/4000"))
        let identity = try client.readResponse()
        XCTAssertNil(identity.header("Content-Encoding"), "no Accept-Encoding: identity")
        XCTAssertEqual(identity.text, expected)
    }

    func testUnknownPathIs404AndWrongMethodIs405WithAllow() throws {
        try client.send(get("/missing"))
        let notFound = try client.readResponse()
        XCTAssertEqual(notFound.status, 404)
        XCTAssertTrue(notFound.text.contains("\"status\":404"))
        try client.send(post("/hello", body: "x"))
        let notAllowed = try client.readResponse()
        XCTAssertEqual(notAllowed.status, 405)
        let allow = Set((notAllowed.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        XCTAssertEqual(allow, ["GET", "HEAD"])
        // Errors do not close the connection.
        try client.send(get("/hello"))
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testHeadOnAGetRouteHasContentLengthAndNoBody() throws {
        // A GET pipelined right behind the HEAD: any body bytes after the HEAD response would corrupt its parse.
        try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/hello"))
        let head = try client.readResponse(bodyless: true)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Length"), "5")
        let next = try client.readResponse()
        XCTAssertEqual(next.status, 200)
        XCTAssertEqual(next.text, "hello")
    }

    private func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, 15 + 16) == Z_OK else { throw TestError("inflateInit2") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output += out[0..<(out.count - Int(stream.avail_out))]
                }
            } while status == Z_OK
        }
        guard status == Z_STREAM_END else { throw TestError("inflate: \(status)") }
        return output
    }
}
