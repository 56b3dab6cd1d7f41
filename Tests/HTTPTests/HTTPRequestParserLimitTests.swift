import XCTest
@testable import HTTP

/// Every limit on both sides of its edge, and while bytes are still arriving.
final class HTTPRequestParserLimitTests: XCTestCase {
    /// A request line of exactly `length` bytes, CRLF included.
    func requestLine(length: Int) -> String {
        "GET /" + String(repeating: "a", count: length - 16) + " HTTP/1.1\r\n"
    }

    func testRequestLineEdge() {
        let limits = HTTPLimits(maxRequestLineBytes: 64)
        XCTAssertEqual(requestLine(length: 64).utf8.count, 64)
        let ok = bytes(requestLine(length: 64) + "Host: a\r\n\r\n")
        XCTAssertNil(parse([ok], limits: limits).error)
        assertSplitInvariant(ok, limits: limits, "request line at limit")
        let over = bytes(requestLine(length: 65) + "Host: a\r\n\r\n")
        XCTAssertEqual(parse([over], limits: limits).error, .requestLineTooLong)
        XCTAssertEqual(parse(oneByteAtATime(over), limits: limits).error, .requestLineTooLong)
        // A bare LF is one byte shorter, so the same target fits with a bare LF and not with CRLF.
        // (`dropLast(1)`: CRLF is a single Character.)
        let lf = bytes(String(requestLine(length: 65).dropLast(1)) + "\nHost: a\n\n")
        XCTAssertNil(parse([lf], limits: limits).error)
    }

    func testLeadingEmptyLinesCountTowardsRequestLine() {
        let limits = HTTPLimits(maxRequestLineBytes: 64)
        XCTAssertNil(parse([bytes("\r\n" + requestLine(length: 62) + "Host: a\r\n\r\n")], limits: limits).error)
        XCTAssertEqual(parse([bytes("\r\n" + requestLine(length: 63) + "Host: a\r\n\r\n")], limits: limits).error,
                       .requestLineTooLong)
        // An endless stream of CRLFs is refused instead of being skipped forever.
        XCTAssertEqual(parse([bytes(String(repeating: "\r\n", count: 33))], limits: limits).error, .requestLineTooLong)
    }

    func testRequestLineRefusedWhileArriving() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxRequestLineBytes: 64))
        parser.append(bytes("GET /"))
        for _ in 0..<58 {
            parser.append(bytes("a"))
            XCTAssertNil(try parser.nextEvent())
        }
        // 64 bytes buffered and no LF: the line end would make it 65.
        parser.append(bytes("a"))
        XCTAssertThrowsError(try parser.nextEvent()) { XCTAssertEqual($0 as? HTTPParseError, .requestLineTooLong) }
    }

    func testMegabyteHeaderLineDribbledIsRefusedAtTheLimit() {
        var parser = HTTPRequestParser()  // maxHeaderBytes 16384
        parser.append(bytes("GET / HTTP/1.1\r\nX-Big: "))
        var sent = 7
        let kilobyte = [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        var refusedAt: Int?
        while sent < 1_000_000 {
            parser.append(kilobyte)
            sent += kilobyte.count
            do { _ = try parser.nextEvent() } catch {
                XCTAssertEqual(error, .headersTooLarge)
                refusedAt = sent
                break
            }
        }
        XCTAssertEqual(refusedAt, 7 + 16 * 1024, "refused by the append that reached 16384 header bytes")
    }

    /// Host line (9) + `X: ` + value + CRLF (5 + n) + final CRLF (2): a header section of `total` bytes.
    func headerSection(total: Int) -> String {
        "Host: a\r\nX: " + String(repeating: "v", count: total - 16) + "\r\n\r\n"
    }

    func testHeaderBytesEdge() {
        let limits = HTTPLimits(maxHeaderBytes: 100)
        XCTAssertEqual(headerSection(total: 100).utf8.count, 100)
        let ok = bytes("GET / HTTP/1.1\r\n" + headerSection(total: 100))
        XCTAssertNil(parse([ok], limits: limits).error)
        assertSplitInvariant(ok, limits: limits, "header bytes at limit")
        let over = bytes("GET / HTTP/1.1\r\n" + headerSection(total: 101))
        XCTAssertEqual(parse([over], limits: limits).error, .headersTooLarge)
        XCTAssertEqual(parse(oneByteAtATime(over), limits: limits).error, .headersTooLarge)
    }

    func testHeaderBytesRefusedWhenOnlyTheFinalEmptyLineWouldOverflow() {
        // 100 bytes of fields and no room left for the empty line that must end the section.
        let fields = "Host: a\r\nX: " + String(repeating: "v", count: 86) + "\r\n"
        XCTAssertEqual(fields.utf8.count, 100)
        let outcome = parse([bytes("GET / HTTP/1.1\r\n" + fields)], limits: HTTPLimits(maxHeaderBytes: 100))
        XCTAssertEqual(outcome.error, .headersTooLarge)
    }

    func testHeaderCountEdge() {
        let limits = HTTPLimits(maxHeaderCount: 3)
        let three = bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n")
        XCTAssertNil(parse([three], limits: limits).error)
        let four = bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        XCTAssertEqual(parse([four], limits: limits).error, .headersTooLarge)
        XCTAssertEqual(parse(oneByteAtATime(four), limits: limits).error, .headersTooLarge)
    }

    func testTrailersShareTheHeaderBudgets() {
        let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"  // 37 + 2 field bytes
        let headBytes = chunkedHead.utf8.count - "POST / HTTP/1.1\r\n".utf8.count
        // Trailer section "T: x\r\n\r\n" is 8 bytes.
        let body = "1\r\na\r\n0\r\nT: x\r\n\r\n"
        let data = bytes(chunkedHead + body)
        XCTAssertNil(parse([data], limits: HTTPLimits(maxHeaderBytes: headBytes + 8)).error)
        XCTAssertEqual(parse([data], limits: HTTPLimits(maxHeaderBytes: headBytes + 7)).error, .headersTooLarge)
        XCTAssertNil(parse([data], limits: HTTPLimits(maxHeaderCount: 3)).error)
        XCTAssertEqual(parse([data], limits: HTTPLimits(maxHeaderCount: 2)).error, .headersTooLarge)
    }

    func testContentLengthBodyEdge() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        let ok = bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789")
        let outcome = parse([ok], limits: limits)
        XCTAssertNil(outcome.error)
        XCTAssertTrue(outcome.events.last?.hasSuffix("body=\(bytes("0123456789"))") ?? false)
        assertSplitInvariant(ok, limits: limits, "CL body at limit")
        // Refused on the head alone: no body byte has been sent.
        let over = bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
        XCTAssertEqual(parse([over], limits: limits), ParseOutcome(events: [], error: .bodyTooLarge))
    }

    func testChunkedBodyEdge() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let ok = bytes(head + "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n")
        XCTAssertNil(parse([ok], limits: limits).error)
        assertSplitInvariant(ok, limits: limits, "chunked body at limit")
        // Refused as soon as the size line that tips the total over is read, before its data.
        let over = bytes(head + "6\r\n012345\r\n5\r\n")
        let outcome = parse([over], limits: limits)
        XCTAssertEqual(outcome.error, .bodyTooLarge)
        XCTAssertEqual(outcome.events.count, 1, "the head was emitted, the request never is")
    }

    func testChunkExtensionsDrawOnTheBodyBudget() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        // ";ab" is 3 extension bytes: 7 + 3 = 10 fits, 7 + 4 does not.
        XCTAssertNil(parse([bytes(head + "7;ab\r\n0123456\r\n0\r\n\r\n")], limits: limits).error)
        XCTAssertEqual(parse([bytes(head + "7;abc\r\n0123456\r\n0\r\n\r\n")], limits: limits).error, .bodyTooLarge)
        // Many empty-data extensions on the last chunk add up too.
        XCTAssertEqual(parse([bytes(head + "0;aaaaaaaaaaa\r\n\r\n")], limits: limits).error, .bodyTooLarge)
    }

    func testManySmallPipelinedRequestsStayLinear() {
        // Guards against quadratic rescans or compaction: 20k requests in 4 KB appends.
        let one = bytes("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\n\r\n")
        let stream = Array(repeating: one, count: 20_000).flatMap { $0 }
        var parser = HTTPRequestParser()
        var requests = 0
        var i = 0
        while i < stream.count {
            let end = min(i + 4096, stream.count)
            parser.append(Array(stream[i..<end]))
            while let e = try! parser.nextEvent() { if case .request = e { requests += 1 } }
            i = end
        }
        XCTAssertEqual(requests, 20_000)
        XCTAssertLessThan(parser.buffer.capacity, 16 * 1024, "the consumed prefix is dropped")
    }
}
