import XCTest
@testable import HTTP

final class HTTPRequestParserTests: XCTestCase {
    // Every valid request in this suite: each is also checked for split invariance.
    static let validSamples: [(String, [UInt8])] = [
        ("GET", bytes("GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")),
        ("POST Content-Length", bytes("POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 13\r\n\r\n40{\"token\":1}")),
        ("chunked with extensions and trailers", bytes("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7 ; a=\"b c\";d\r\n, world\r\nA\r\n0123456789\r\n0;last\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n")),
        ("chunked, uppercase hex, empty list elements in TE", bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , Chunked\r\n\r\n1F\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n")),
        ("HTTP/1.0 keep-alive", bytes("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")),
        ("Expect 100-continue", bytes("POST /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")),
        ("upgrade with trailing bytes", bytes("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n") + [0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ("bare LF line ends", bytes("GET /lf HTTP/1.1\nHost: a\nContent-Length: 2\n\nok")),
        ("leading empty lines", bytes("\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")),
        ("identical duplicate Content-Length, list form", bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3, 003\r\n\r\nxyz")),
        ("OWS, HT and obs-text in values, empty value", bytes("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t spaced\tvalue \t\r\nX-Empty:\r\nX-Utf8: caf\u{e9}\r\n\r\n")),
        ("absolute-form and asterisk-form targets", bytes("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n")),
        ("Content-Length 0 and chunked empty body", bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")),
        ("chunk size with leading zeros, bare LF framing", bytes("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n0003\nabc\n0\n\n")),
        ("HTTP/1.0 with Content-Length", bytes("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi")),
        ("pipelined three", bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyPOST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")),
    ]

    func events(_ s: String) -> [HTTPParserEvent] {
        var parser = HTTPRequestParser()
        parser.append(bytes(s))
        var out: [HTTPParserEvent] = []
        while let e = try! parser.nextEvent() { out.append(e) }
        return out
    }

    func request(_ e: HTTPParserEvent) -> HTTPRequest? {
        if case .request(let r) = e { return r }
        return nil
    }

    func testSimpleGet() throws {
        var parser = HTTPRequestParser()
        parser.append(Self.validSamples[0].1)
        guard case .head(let head)? = try parser.nextEvent() else { return XCTFail("expected head") }
        XCTAssertEqual(head.method, "GET")
        XCTAssertEqual(head.target, "/socket.io/?EIO=4&transport=polling&t=N8hyd6w")
        XCTAssertEqual(head.path, "/socket.io/")
        XCTAssertEqual(head.versionMinor, 1)
        XCTAssertEqual(head.headers["host"], "example.com")
        XCTAssertTrue(head.keepAlive)
        XCTAssertFalse(parser.isReadingBody)
        guard case .request(let r)? = try parser.nextEvent() else { return XCTFail("expected request") }
        XCTAssertEqual(r.body, [])
        XCTAssertNil(try parser.nextEvent())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPostWithContentLength() {
        let e = events(String(decoding: Self.validSamples[1].1, as: UTF8.self))
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(request(e[1])?.body, bytes("40{\"token\":1}"))
        XCTAssertEqual(request(e[1])?.headers["Content-Type"], "text/plain;charset=UTF-8")
    }

    func testChunkedWithExtensionsAndTrailers() {
        let e = events(String(decoding: Self.validSamples[2].1, as: UTF8.self))
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(request(e[1])?.body, bytes("hello, world0123456789"))
        // Trailers are discarded: letting them into the headers would let them change framing after the fact.
        XCTAssertNil(request(e[1])?.headers["X-Checksum"])
    }

    func testHeaderCaseAndOrderKept() {
        let e = events(String(decoding: Self.validSamples[10].1, as: UTF8.self))
        guard case .head(let head) = e[0] else { return XCTFail() }
        XCTAssertEqual(head.headers.fields.map(\.name), ["Host", "X-A", "X-Empty", "X-Utf8"])
        XCTAssertEqual(head.headers.fields.map(\.value), ["a", "spaced\tvalue", "", "caf\u{e9}"])
    }

    func testHTTP10KeepAliveSemantics() {
        guard case .head(let h10)? = events("GET / HTTP/1.0\r\n\r\n").first else { return XCTFail() }
        XCTAssertEqual(h10.versionMinor, 0)
        XCTAssertFalse(h10.keepAlive)
        guard case .head(let h10ka)? = events("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").first else { return XCTFail() }
        XCTAssertTrue(h10ka.keepAlive)
        guard case .head(let h11close)? = events("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").first else { return XCTFail() }
        XCTAssertFalse(h11close.keepAlive)
    }

    func testExpectContinueHeadBeforeBody() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
        guard case .head(let head)? = try parser.nextEvent() else { return XCTFail() }
        XCTAssertTrue(head.expectsContinue)
        XCTAssertTrue(parser.isReadingBody)
        XCTAssertTrue(parser.hasPartialRequest)
        XCTAssertNil(try parser.nextEvent())
        parser.append(bytes("ab"))
        XCTAssertNil(try parser.nextEvent())
        XCTAssertTrue(parser.isReadingBody)
        parser.append(bytes("c"))
        XCTAssertEqual(try parser.nextEvent().flatMap(request)?.body, bytes("abc"))
        XCTAssertFalse(parser.isReadingBody)
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testUpgradeHandsOverTrailingBytes() throws {
        var parser = HTTPRequestParser()
        let sample = Self.validSamples[6].1
        parser.append(sample)
        guard case .head(let head)? = try parser.nextEvent() else { return XCTFail() }
        XCTAssertTrue(head.isUpgrade)
        XCTAssertEqual(try parser.nextEvent().flatMap(request)?.body, [])
        XCTAssertNil(try parser.nextEvent())
        parser.append([0xAA, 0xBB])
        XCTAssertNil(try parser.nextEvent(), "after an upgrade the bytes belong to the new protocol")
        XCTAssertFalse(parser.hasPartialRequest)
        XCTAssertEqual(parser.takeRemainingBytes(), [0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xAA, 0xBB])
        XCTAssertEqual(parser.takeRemainingBytes(), [])
    }

    func testUpgradeWithContentLengthBody() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 2\r\n\r\nhiNEXT"))
        _ = try parser.nextEvent()
        XCTAssertEqual(try parser.nextEvent().flatMap(request)?.body, bytes("hi"))
        XCTAssertNil(try parser.nextEvent())
        XCTAssertEqual(parser.takeRemainingBytes(), bytes("NEXT"))
    }

    func testPipelinedThreeInOneAppend() {
        let outcome = parse([Self.validSamples.first { $0.0 == "pipelined three" }!.1])
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.events, [
            "HEAD GET /1 HTTP/1.1 [Host=a]",
            "REQUEST GET /1 HTTP/1.1 [Host=a] body=[]",
            "HEAD POST /2 HTTP/1.1 [Host=a;Content-Length=4]",
            "REQUEST POST /2 HTTP/1.1 [Host=a;Content-Length=4] body=\(bytes("body"))",
            "HEAD POST /3 HTTP/1.1 [Host=a;Transfer-Encoding=chunked]",
            "REQUEST POST /3 HTTP/1.1 [Host=a;Transfer-Encoding=chunked] body=\(bytes("abc"))",
        ])
    }

    func testEveryValidSampleIsSplitInvariant() {
        for (label, data) in Self.validSamples {
            let whole = parse([data])
            XCTAssertNil(whole.error, label)
            XCTAssertFalse(whole.events.isEmpty, label)
            assertSplitInvariant(data, label)
        }
        // All of them back to back: exercises buffer compaction with requests straddling appends.
        let samples = Self.validSamples.filter { !$0.0.hasPrefix("upgrade") }.map(\.1)
        let eventsPerRound = samples.map { parse([$0]).events.count }.reduce(0, +)
        let stream = Array(repeating: samples.flatMap { $0 }, count: 20).flatMap { $0 }
        let whole = parse([stream])
        XCTAssertNil(whole.error)
        XCTAssertEqual(whole.events.count, 20 * eventsPerRound)
        assertSplitInvariant(stream, "all samples, 20 times")
    }

    func testChunkedBodyStateTracking() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"))
        guard case .head? = try parser.nextEvent() else { return XCTFail() }
        XCTAssertNil(try parser.nextEvent())
        XCTAssertTrue(parser.isReadingBody)
        parser.append(bytes("c\r\n0\r\nT: 1\r\n"))
        XCTAssertNil(try parser.nextEvent())
        XCTAssertTrue(parser.isReadingBody, "still in the trailers")
        parser.append(bytes("\r\n"))
        XCTAssertEqual(try parser.nextEvent().flatMap(request)?.body, bytes("abc"))
        XCTAssertFalse(parser.isReadingBody)
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPartialRequestTracking() throws {
        var parser = HTTPRequestParser()
        XCTAssertFalse(parser.hasPartialRequest)
        parser.append(bytes("\r\n"))
        XCTAssertNil(try parser.nextEvent())
        XCTAssertFalse(parser.hasPartialRequest, "a stray CRLF between requests is not a request")
        parser.append(bytes("G"))
        XCTAssertNil(try parser.nextEvent())
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(bytes("ET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertNotNil(try parser.nextEvent())
        XCTAssertTrue(parser.hasPartialRequest, "head returned, request not yet")
        XCTAssertNotNil(try parser.nextEvent())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testUnsafeRawBufferAppend() throws {
        var parser = HTTPRequestParser()
        bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n").withUnsafeBytes { parser.append($0) }
        XCTAssertNotNil(try parser.nextEvent())
    }

    func testErrorIsStickyAndStatusMapping() {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"))
        XCTAssertThrowsError(try parser.nextEvent())
        parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertThrowsError(try parser.nextEvent()) { XCTAssertEqual($0 as? HTTPParseError, .malformed("whitespace in header name")) }
        XCTAssertEqual(HTTPParseError.requestLineTooLong.status, 414)
        XCTAssertEqual(HTTPParseError.headersTooLarge.status, 431)
        XCTAssertEqual(HTTPParseError.bodyTooLarge.status, 413)
        XCTAssertEqual(HTTPParseError.malformed("x").status, 400)
        XCTAssertEqual(HTTPParseError.unsupportedVersion.status, 505)
        XCTAssertEqual(HTTPParseError.unsupportedTransferEncoding.status, 501)
        XCTAssertTrue(HTTPParseError.malformed("bad chunk size").reason.contains("bad chunk size"))
    }

    // MARK: Malformed input and smuggling

    static let host = "Host: a\r\n"

    static let malformedCases: [(String, [UInt8], HTTPParseError)] = [
        // Request line
        ("double space", bytes("GET  / HTTP/1.1\r\n\(host)\r\n"), .malformed("empty request target")),
        ("trailing space", bytes("GET / HTTP/1.1 \r\n\(host)\r\n"), .malformed("invalid HTTP version")),
        ("missing version", bytes("GET /\r\n\(host)\r\n"), .malformed("malformed request line")),
        ("leading space", bytes(" GET / HTTP/1.1\r\n\(host)\r\n"), .malformed("empty method")),
        ("invalid method", bytes("G(T / HTTP/1.1\r\n\(host)\r\n"), .malformed("invalid method")),
        ("tab separator", bytes("GET\t/ HTTP/1.1\r\n\(host)\r\n"), .malformed("malformed request line")),
        ("tab in method", bytes("GE\tT / HTTP/1.1\r\n\(host)\r\n"), .malformed("invalid method")),
        ("control in target", bytes("GET /a\u{1}b HTTP/1.1\r\n\(host)\r\n"), .malformed("invalid character in request target")),
        ("non-ASCII target", bytes("GET /caf\u{e9} HTTP/1.1\r\n\(host)\r\n"), .malformed("invalid character in request target")),
        ("lowercase version", bytes("GET / http/1.1\r\n\(host)\r\n"), .malformed("invalid HTTP version")),
        ("two-digit minor", bytes("GET / HTTP/1.10\r\n\(host)\r\n"), .malformed("invalid HTTP version")),
        ("HTTP/2.0", bytes("GET / HTTP/2.0\r\n\(host)\r\n"), .unsupportedVersion),
        ("HTTP/1.2", bytes("GET / HTTP/1.2\r\n\(host)\r\n"), .unsupportedVersion),
        ("HTTP/0.9", bytes("GET / HTTP/0.9\r\n\(host)\r\n"), .unsupportedVersion),
        ("bare CR ending request line", bytes("GET / HTTP/1.1\rHost: a\r\n\r\n"), .malformed("bare CR")),
        // Header fields
        ("space before colon", bytes("GET / HTTP/1.1\r\n\(host)X-A : b\r\n\r\n"), .malformed("whitespace in header name")),
        ("tab before colon", bytes("GET / HTTP/1.1\r\n\(host)X-A\t: b\r\n\r\n"), .malformed("whitespace in header name")),
        ("invalid name byte", bytes("GET / HTTP/1.1\r\n\(host)X(A: b\r\n\r\n"), .malformed("invalid header name")),
        ("no colon", bytes("GET / HTTP/1.1\r\n\(host)X-A\r\n\r\n"), .malformed("header line without colon")),
        ("empty name", bytes("GET / HTTP/1.1\r\n\(host): b\r\n\r\n"), .malformed("empty header name")),
        ("obs-fold", bytes("GET / HTTP/1.1\r\n\(host)X-A: b\r\n  c\r\n\r\n"), .malformed("obs-fold (line folding) is not allowed")),
        ("whitespace-led first field", bytes("GET / HTTP/1.1\r\n \(host)\r\n"), .malformed("obs-fold (line folding) is not allowed")),
        ("NUL in value", bytes("GET / HTTP/1.1\r\n\(host)X-A: b\u{0}c\r\n\r\n"), .malformed("invalid character in header value")),
        ("DEL in value", bytes("GET / HTTP/1.1\r\n\(host)X-A: b\u{7F}\r\n\r\n"), .malformed("invalid character in header value")),
        ("bare CR in value", bytes("GET / HTTP/1.1\r\n\(host)X-A: b\rc\r\n\r\n"), .malformed("bare CR")),
        ("bare CR line end", bytes("GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n"), .malformed("bare CR")),
        ("missing Host", bytes("GET / HTTP/1.1\r\n\r\n"), .malformed("missing Host header")),
        ("two Host", bytes("GET / HTTP/1.1\r\n\(host)host: b\r\n\r\n"), .malformed("multiple Host headers")),
        // Content-Length
        ("CL negative", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n"), .malformed("invalid Content-Length")),
        ("CL plus sign", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello"), .malformed("invalid Content-Length")),
        ("CL hex", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 0x5\r\n\r\nhello"), .malformed("invalid Content-Length")),
        ("CL inner space", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 1 2\r\n\r\n"), .malformed("invalid Content-Length")),
        ("CL empty", bytes("POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n"), .malformed("invalid Content-Length")),
        ("CL trailing comma", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 5,\r\n\r\nhello"), .malformed("invalid Content-Length")),
        ("CL overflow", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999\r\n\r\n"), .malformed("Content-Length overflow")),
        ("CL fits Int but over limit", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 9223372036854775807\r\n\r\n"), .bodyTooLarge),
        ("CL duplicate differing", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), .malformed("conflicting Content-Length")),
        ("CL list differing", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\nhello!"), .malformed("conflicting Content-Length")),
        ("CL space before colon", bytes("POST / HTTP/1.1\r\n\(host)Content-Length : 5\r\n\r\nhello"), .malformed("whitespace in header name")),
        // Transfer-Encoding
        ("CL then TE", bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), .malformed("both Transfer-Encoding and Content-Length")),
        ("TE then CL", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"), .malformed("both Transfer-Encoding and Content-Length")),
        ("TE chunked, identity", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"), .unsupportedTransferEncoding),
        ("TE identity", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: identity\r\n\r\n"), .unsupportedTransferEncoding),
        ("TE gzip, chunked", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), .unsupportedTransferEncoding),
        ("TE split over two fields", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"), .unsupportedTransferEncoding),
        ("TE chunked twice", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), .malformed("chunked applied more than once")),
        ("TE look-alike", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: xchunked\r\n\r\n"), .unsupportedTransferEncoding),
        ("TE empty", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \r\n\r\n"), .malformed("empty Transfer-Encoding")),
        ("TE space before colon", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), .malformed("whitespace in header name")),
        ("TE vertical tab", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\u{B}chunked\r\n\r\n0\r\n\r\n"), .malformed("invalid character in header value")),
        ("HTTP/1.0 chunked", bytes("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), .malformed("Transfer-Encoding in an HTTP/1.0 request")),
        // Chunk framing
        ("chunk size overflow", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"), .malformed("chunk size overflow")),
        ("chunk size 2^64-1", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"), .malformed("chunk size overflow")),
        ("chunk size Int.max", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n"), .bodyTooLarge),
        ("chunk size negative", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n-1\r\n"), .malformed("bad chunk size")),
        ("chunk size 0x prefix", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"), .malformed("bad chunk size")),
        ("chunk size empty", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n\r\n"), .malformed("bad chunk size")),
        ("chunk size leading space", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"), .malformed("bad chunk size")),
        ("chunk size trailing space", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"), .malformed("bad chunk size")),
        ("chunk data longer than size", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"), .malformed("missing CRLF after chunk data")),
        ("chunk data CR without LF", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rX"), .malformed("missing CRLF after chunk data")),
        ("control in chunk extension", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3;a\u{0}\r\nabc\r\n0\r\n\r\n"), .malformed("invalid character in chunk extension")),
        ("malformed trailer", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n"), .malformed("whitespace in header name")),
        ("chunk size line too long", bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000) + "\r\n"), .malformed("chunk size line too long")),
    ]

    func testMalformedTable() {
        for (label, data, expected) in Self.malformedCases {
            let outcome = parse([data])
            XCTAssertEqual(outcome.error, expected, label)
            // Errors must not depend on how the bytes arrive either.
            XCTAssertEqual(parse(oneByteAtATime(data)).error, expected, "\(label): byte at a time")
            XCTAssertEqual(parse(randomSplit(data, seed: 7)).error, expected, "\(label): random split")
        }
    }

    func testBodyTooLargeIsRefusedBeforeTheBodyArrives() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 100))
        parser.append(bytes("POST / HTTP/1.1\r\n\(Self.host)Expect: 100-continue\r\nContent-Length: 101\r\n\r\n"))
        // No `.head` first: the server must answer 413, not 100 Continue.
        XCTAssertThrowsError(try parser.nextEvent()) { XCTAssertEqual($0 as? HTTPParseError, .bodyTooLarge) }
    }

    func testHTTP10WithoutHostIsAccepted() {
        XCTAssertNil(parse([bytes("GET / HTTP/1.0\r\n\r\n")]).error)
    }
}
