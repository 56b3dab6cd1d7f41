import XCTest
import CZlib
@testable import HTTP

final class ResponseCompressorTests: XCTestCase {
    typealias E = ResponseCompressor.Encoding

    func testNegotiationTable() {
        let table: [(String?, E?)] = [
            (nil, nil),
            ("", nil),
            ("gzip", .gzip),
            ("GZIP", .gzip),
            ("x-gzip", .gzip),
            ("deflate", .deflate),
            ("gzip, deflate, br", .gzip),
            ("deflate, gzip", .gzip),                       // tie: gzip
            ("br", nil),
            ("identity", nil),
            ("*", .gzip),
            ("*;q=0", nil),
            ("gzip;q=0", nil),
            ("gzip;q=0, deflate", .deflate),
            ("gzip;q=0.5, deflate;q=0.8", .deflate),
            ("gzip;q=0.8, deflate;q=0.5", .gzip),
            ("gzip; q=0.5 , deflate ; q=0.500", .gzip),
            ("gzip;q=0, *", .deflate),
            ("*;q=0.3, gzip;q=0.2", .deflate),
            ("deflate;q=0.001", .deflate),
            ("gzip;q=0.000", nil),
            ("gzip;q=1.0", .gzip),
            ("gzip;q=0.5, identity;q=0.9", nil),           // identity strictly preferred
            ("gzip;q=0.9, identity;q=0.9", .gzip),         // tie with identity: compress
            ("gzip;q=0.5", .gzip),                         // unlisted identity is not a competitor
            ("gzip;q=2", nil),                             // malformed q: element ignored
            ("gzip;q=abc, deflate", .deflate),
            ("gzip;q=1.001", nil),
            ("gzip;q=0.1234", nil),
            ("gzip;level=9", .gzip),                       // unknown parameter ignored
            (" , gzip ,", .gzip),
        ]
        for (header, expected) in table {
            XCTAssertEqual(ResponseCompressor.negotiate(acceptEncoding: header), expected, "\(header ?? "nil")")
        }
    }

    private func body(_ n: Int) -> [UInt8] {
        let text = Array("{\"type\":\"message\",\"room\":\"general\",\"text\":\"운동 가자!\"}\n".utf8)
        return (0..<n).map { text[$0 % text.count] }
    }

    func testThresholdEdge() {
        let c = ResponseCompressor(minimumBytes: 1024)
        var below = HTTPResponse(status: 200, body: body(1023))
        c.compressIfAccepted(&below, acceptEncoding: "gzip")
        XCTAssertEqual(below.body, body(1023))
        XCTAssertNil(below.headers["Content-Encoding"])
        XCTAssertNil(below.headers["Vary"])

        var at = HTTPResponse(status: 200, body: body(1024))
        c.compressIfAccepted(&at, acceptEncoding: "gzip")
        XCTAssertEqual(at.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(at.headers["Vary"], "Accept-Encoding")
        XCTAssertLessThan(at.body.count, 1024)
        XCTAssertEqual(try inflate(at.body, windowBits: 31), body(1024))
    }

    func testGzipRoundTripAndMagic() throws {
        let c = ResponseCompressor()
        let original = body(50_000)
        var r = HTTPResponse(status: 200, headers: ["Content-Length": "50000", "ETag": "\"abc\""], body: original)
        c.compressIfAccepted(&r, acceptEncoding: "gzip, deflate")
        XCTAssertEqual(r.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(Array(r.body.prefix(3)), [0x1f, 0x8b, 0x08])
        XCTAssertEqual(r.headers["Content-Length"], String(r.body.count))
        XCTAssertEqual(r.headers["ETag"], "W/\"abc\"")
        XCTAssertEqual(try inflate(r.body, windowBits: 15 + 16), original)
    }

    func testDeflateIsZlibFormatRoundTrip() throws {
        let c = ResponseCompressor()
        let original = body(5_000)
        var r = HTTPResponse(status: 200, headers: ["Vary": "Origin"], body: original)
        c.compressIfAccepted(&r, acceptEncoding: "deflate")
        XCTAssertEqual(r.headers["Content-Encoding"], "deflate")
        // RFC 1950 header: CM=8, and (CMF*256 + FLG) % 31 == 0.
        XCTAssertEqual(r.body[0] & 0x0f, 8)
        XCTAssertEqual((Int(r.body[0]) * 256 + Int(r.body[1])) % 31, 0)
        XCTAssertEqual(r.headers.values("Vary"), ["Origin, Accept-Encoding"])
        XCTAssertEqual(try inflate(r.body, windowBits: 15), original)
    }

    func testStreamReuseAcross100Responses() throws {
        let c = ResponseCompressor()
        for i in 0..<100 {
            let original = body(1024 + i * 37)
            let encoding = i % 3 == 0 ? "deflate" : "gzip"
            var r = HTTPResponse(status: 200, body: original)
            c.compressIfAccepted(&r, acceptEncoding: encoding)
            XCTAssertEqual(r.headers["Content-Encoding"], encoding)
            XCTAssertEqual(try inflate(r.body, windowBits: encoding == "gzip" ? 31 : 15), original, "response \(i)")
        }
        XCTAssertEqual(c.streamInitCount, 2)
    }

    func testLeavesIneligibleResponsesAlone() {
        let c = ResponseCompressor(minimumBytes: 16)
        for status in [101, 204, 304, 206] {
            var r = HTTPResponse(status: status, body: body(2000))
            c.compressIfAccepted(&r, acceptEncoding: "gzip")
            XCTAssertNil(r.headers["Content-Encoding"], "\(status)")
            XCTAssertEqual(r.body, body(2000))
        }
        var already = HTTPResponse(status: 200, headers: ["Content-Encoding": "br"], body: body(2000))
        c.compressIfAccepted(&already, acceptEncoding: "gzip")
        XCTAssertEqual(already.headers.values("Content-Encoding"), ["br"])
        XCTAssertEqual(already.body, body(2000))
    }

    func testNotAcceptedStillVaries() {
        let c = ResponseCompressor()
        var r = HTTPResponse(status: 200, body: body(4000))
        c.compressIfAccepted(&r, acceptEncoding: nil)
        XCTAssertNil(r.headers["Content-Encoding"])
        XCTAssertEqual(r.headers["Vary"], "Accept-Encoding")
        XCTAssertEqual(r.body, body(4000))
    }

    func testIncompressibleBodyIsLeftAsIs() {
        let c = ResponseCompressor()
        var state: UInt64 = 0x9E3779B97F4A7C15
        let noise: [UInt8] = (0..<4096).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        var r = HTTPResponse(status: 200, body: noise)
        c.compressIfAccepted(&r, acceptEncoding: "gzip")
        XCTAssertNil(r.headers["Content-Encoding"])
        XCTAssertEqual(r.body, noise)
        // The stream is still usable afterwards.
        var ok = HTTPResponse(status: 200, body: body(3000))
        c.compressIfAccepted(&ok, acceptEncoding: "gzip")
        XCTAssertEqual(try inflate(ok.body, windowBits: 31), body(3000))
    }

    // MARK: - zlib inflate, independent of the code under test

    private struct InflateError: Error { let code: Int32 }

    private func inflate(_ input: [UInt8], windowBits: Int32) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, windowBits) == Z_OK else { throw InflateError(code: -1) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var input = input
        return try input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (rc, out.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[..<produced])
                if rc == Z_STREAM_END {
                    guard stream.avail_in == 0 else { throw InflateError(code: -2) }   // trailing garbage
                    return output
                }
                guard rc == Z_OK else { throw InflateError(code: rc) }
            }
        }
    }
}
