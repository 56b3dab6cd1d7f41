import XCTest
@testable import WebSocket

final class DeflateNegotiationTests: XCTestCase {
    /// Plain config: no preferences of our own, so responses reflect the offer.
    private var neutral: PerMessageDeflateConfiguration {
        var c = PerMessageDeflateConfiguration()
        c.serverNoContextTakeover = false
        c.clientNoContextTakeover = false
        c.clientMaxWindowBits = 15
        c.serverMaxWindowBits = 15
        return c
    }

    private func response(_ offers: [String], _ config: PerMessageDeflateConfiguration) -> String? {
        PerMessageDeflate.negotiate(offers: offers, configuration: config)?.responseHeaderValue
    }

    func testTable() {
        let n = neutral
        let table: [(offers: [String], expected: String?)] = [
            ([], nil),
            (["x-webkit-deflate-frame"], nil),
            (["permessage-deflate"], "permessage-deflate"),
            (["PerMessage-Deflate"], "permessage-deflate"),
            (["permessage-deflate; client_max_window_bits"], "permessage-deflate"),
            (["permessage-deflate; server_no_context_takeover"], "permessage-deflate; server_no_context_takeover"),
            (["permessage-deflate; client_no_context_takeover"], "permessage-deflate; client_no_context_takeover"),
            (["permessage-deflate; server_max_window_bits=10"], "permessage-deflate; server_max_window_bits=10"),
            (["permessage-deflate; server_max_window_bits=\"10\""], "permessage-deflate; server_max_window_bits=10"),
            (["permessage-deflate;server_max_window_bits=15 ; client_max_window_bits=9"], "permessage-deflate; server_max_window_bits=15"),
            // Invalid offers are declined, never accepted.
            (["permessage-deflate; server_max_window_bits"], nil),         // needs a value
            (["permessage-deflate; server_max_window_bits=7"], nil),
            (["permessage-deflate; server_max_window_bits=16"], nil),
            (["permessage-deflate; server_max_window_bits=010"], nil),     // leading zero
            (["permessage-deflate; server_max_window_bits=abc"], nil),
            (["permessage-deflate; client_max_window_bits=8a"], nil),
            (["permessage-deflate; client_max_window_bits=0"], nil),
            (["permessage-deflate; server_no_context_takeover=1"], nil),   // takes no value
            (["permessage-deflate; client_no_context_takeover=x"], nil),
            (["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], nil),  // duplicate
            (["permessage-deflate; client_max_window_bits; client_max_window_bits=10"], nil),
            (["permessage-deflate; foo"], nil),                            // unknown
            (["permessage-deflate; server_max_window_bits=\"1\"0\""], nil),
            (["permessage-deflate;"], nil),
            // zlib cannot compress with a 256-byte window: decline.
            // 8 is honoured: a 9-bit deflater never reaches back more than 250 bytes.
            (["permessage-deflate; server_max_window_bits=8"], "permessage-deflate; server_max_window_bits=8"),
            // client_max_window_bits=8 is the client's business (we inflate with 9).
            (["permessage-deflate; client_max_window_bits=8"], "permessage-deflate"),
            // Multiple offers: the first acceptable one wins, across headers and list elements.
            (["permessage-deflate; foo, permessage-deflate; server_no_context_takeover"], "permessage-deflate; server_no_context_takeover"),
            (["permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=9"], "permessage-deflate; server_max_window_bits=8"),
            (["foo, permessage-deflate; client_max_window_bits, permessage-deflate"], "permessage-deflate"),
            (["x; a=\"b,c\", permessage-deflate"], "permessage-deflate"),
        ]
        for (offers, expected) in table {
            XCTAssertEqual(response(offers, n), expected, "\(offers)")
        }
    }

    func testServerPreferences() {
        var c = neutral
        c.serverMaxWindowBits = 11
        c.clientMaxWindowBits = 10
        c.serverNoContextTakeover = true
        c.clientNoContextTakeover = true
        XCTAssertEqual(response(["permessage-deflate"], c),
                       "permessage-deflate; server_max_window_bits=11; server_no_context_takeover; client_no_context_takeover")
        XCTAssertEqual(response(["permessage-deflate; client_max_window_bits; server_max_window_bits=13"], c),
                       "permessage-deflate; server_max_window_bits=11; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=10")
        // An offer below our preference wins; a client cap below ours needs no answer.
        XCTAssertEqual(response(["permessage-deflate; server_max_window_bits=9; client_max_window_bits=9"], c),
                       "permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_no_context_takeover")
        let d = PerMessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=9; client_max_window_bits=9"], configuration: c)!
        XCTAssertEqual(d.serverMaxWindowBits, 9)
        XCTAssertEqual(d.clientMaxWindowBits, 9)
        // Without client_max_window_bits in the offer the client may use 15 whatever we prefer.
        XCTAssertEqual(PerMessageDeflate.negotiate(offers: ["permessage-deflate"], configuration: c)!.clientMaxWindowBits, 15)
    }

    func testDefaultConfigurationAgainstBrowserOffer() {
        let d = PerMessageDeflate.negotiate(offers: ["permessage-deflate; client_max_window_bits"], configuration: PerMessageDeflateConfiguration())!
        XCTAssertEqual(d.responseHeaderValue, "permessage-deflate; server_no_context_takeover; client_max_window_bits=12")
        XCTAssertEqual(d.clientMaxWindowBits, 12)
        XCTAssertTrue(d.serverNoContextTakeover)
        XCTAssertFalse(d.clientNoContextTakeover)
    }

    func testClientOfferAndAccept() throws {
        var c = PerMessageDeflateConfiguration()
        XCTAssertEqual(PerMessageDeflate.clientOffer(c), "permessage-deflate; client_max_window_bits=12; server_no_context_takeover")
        c.serverMaxWindowBits = 10
        c.clientNoContextTakeover = true
        XCTAssertEqual(PerMessageDeflate.clientOffer(c),
                       "permessage-deflate; client_max_window_bits=12; server_max_window_bits=10; server_no_context_takeover; client_no_context_takeover")

        let ok = try XCTUnwrap(PerMessageDeflate.clientAccept(
            response: ["permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_max_window_bits=11"], configuration: c))
        XCTAssertEqual(ok.serverMaxWindowBits, 9)
        XCTAssertEqual(ok.clientMaxWindowBits, 11)
        XCTAssertTrue(ok.clientNoContextTakeover)
        XCTAssertNil(try PerMessageDeflate.clientAccept(response: [], configuration: c))

        let bad = [
            "permessage-deflate; server_no_context_takeover",                                    // our server_max_window_bits not echoed
            "permessage-deflate; server_max_window_bits=11; server_no_context_takeover",         // larger than requested
            "permessage-deflate; server_max_window_bits=10",                                     // server_no_context_takeover missing
            "permessage-deflate; server_max_window_bits=10; server_no_context_takeover; client_max_window_bits",     // needs value
            "permessage-deflate; server_max_window_bits=10; server_no_context_takeover; client_max_window_bits=13",  // above our offer
            "permessage-deflate; server_max_window_bits=10; server_no_context_takeover; foo",
            "permessage-deflate; server_max_window_bits=10; server_no_context_takeover, permessage-deflate",
            "x-other",
        ]
        for value in bad {
            XCTAssertThrowsError(try PerMessageDeflate.clientAccept(response: [value], configuration: c), value)
        }
    }
}

import CZlib

final class WindowBitsEightTests: XCTestCase {
    /// A peer that asked for a 256-byte window inflates with exactly that window: the stream must contain no
    /// back-reference further than 256 bytes, though zlib itself cannot compress with such a window.
    func testWindowOfEightProducesAStreamA256ByteWindowInflates() throws {
        // A 300-byte block repeated: with matches a compressor would reach back 300 bytes, past a 256-byte window.
        var generator = SystemRandomNumberGenerator()
        let block = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let message = block + block + block + block
        let compressor = try XCTUnwrap(DeflateCompressor(windowBits: 8, memLevel: 8, level: 6))
        var compressed: [UInt8] = []
        XCTAssertTrue(message.withUnsafeBytes { compressor.compress($0, into: &compressed) })
        compressed += [0x00, 0x00, 0xFF, 0xFF]

        var stream = z_stream()
        XCTAssertEqual(czlib_inflate_init2(&stream, -8), Z_OK)
        defer { inflateEnd(&stream) }
        // One output byte per call: zlib then resolves every back-reference through its 256-byte sliding window,
        // as a peer streaming the message would (with all output in one buffer it would not notice a far distance).
        var output: [UInt8] = []
        var status = Z_OK
        compressed.withUnsafeMutableBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = UInt32(input.count)
            var byte: UInt8 = 0
            while status == Z_OK && output.count < message.count {
                withUnsafeMutablePointer(to: &byte) { pointer in
                    stream.next_out = pointer
                    stream.avail_out = 1
                    status = inflate(&stream, Z_SYNC_FLUSH)
                    if stream.avail_out == 0 { output.append(pointer.pointee) }
                }
            }
        }
        XCTAssertEqual(status, Z_OK, "a 256-byte inflate window must accept the stream")
        XCTAssertEqual(output, message)
    }

    func testClientAcceptsAServerThatAnswersWindowEight() throws {
        let negotiated = try PerMessageDeflate.clientAccept(
            response: ["permessage-deflate; server_no_context_takeover; client_max_window_bits=8"],
            configuration: PerMessageDeflateConfiguration())
        XCTAssertEqual(negotiated?.clientMaxWindowBits, 8)
    }
}
