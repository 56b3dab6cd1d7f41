import XCTest
import Glibc
import CZlib
@testable import WebSocket

final class CompressionTests: XCTestCase {
    private func config(threshold: Int = 1024) -> PerMessageDeflateConfiguration {
        var c = PerMessageDeflateConfiguration()
        c.thresholdBytes = threshold
        return c
    }

    private func pair(_ d: NegotiatedDeflate, threshold: Int = 1024, max: Int = 1_000_000) -> (WebSocketProtocolEngine, WebSocketProtocolEngine) {
        (server(max: max, deflate: d, config: config(threshold: threshold)), client(max: max, deflate: d, config: config(threshold: threshold)))
    }

    private let variants: [NegotiatedDeflate] = [
        NegotiatedDeflate(),
        NegotiatedDeflate(serverNoContextTakeover: true, clientNoContextTakeover: true),
        NegotiatedDeflate(serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 9, clientMaxWindowBits: 12),
        NegotiatedDeflate(serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 8),
    ]

    func testRoundTripsBothDirections() {
        for d in variants {
            let (s, c) = pair(d)
            for i in 0..<6 {
                let message = jsonLike(2000 + i * 5000)
                let toClient = s.encodeText(message.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
                XCTAssertTrue(decodeFrames(toClient)[0].rsv1)
                XCTAssertLessThan(toClient.count, message.count / 2, "compresses")
                XCTAssertEqual(c.feed(toClient).events, [.text(message)], "\(d) #\(i) s->c")
                let binary = pseudoRandomBytes(1500, seed: UInt64(i + 7)) + jsonLike(3000)
                let toServer = c.encodeBinary(binary)
                XCTAssertTrue(decodeFrames(toServer)[0].masked)
                XCTAssertEqual(s.feed(toServer, chunk: 777).events, [.binary(binary)], "\(d) #\(i) c->s")
            }
        }
    }

    /// With context takeover a repeated message shrinks to a back-reference; without it, it does not.
    func testContextTakeoverIsUsedWhenAllowed() {
        let message = Array(pseudoRandomBytes(1500).map { $0 | 0x40 & 0x7F })
        let (s1, _) = pair(NegotiatedDeflate(serverNoContextTakeover: false))
        let first = s1.encodeBinary(message), second = s1.encodeBinary(message)
        XCTAssertLessThan(second.count, first.count / 10)
        let (s2, c2) = pair(NegotiatedDeflate(serverNoContextTakeover: true))
        let a = s2.encodeBinary(message), b = s2.encodeBinary(message)
        XCTAssertEqual(a, b)
        XCTAssertEqual(c2.feed(a + b).events, [.binary(message), .binary(message)])
    }

    func testThresholdEdge() {
        let (s, c) = pair(NegotiatedDeflate(serverNoContextTakeover: true), threshold: 100)
        let below = s.encodeBinary([UInt8](repeating: 0x61, count: 99))
        let at = s.encodeBinary([UInt8](repeating: 0x61, count: 100))
        XCTAssertFalse(decodeFrames(below)[0].rsv1)
        XCTAssertEqual(below.count, 2 + 99)
        XCTAssertTrue(decodeFrames(at)[0].rsv1)
        XCTAssertEqual(c.feed(below + at).events, [.binary([UInt8](repeating: 0x61, count: 99)), .binary([UInt8](repeating: 0x61, count: 100))])
        // Incompressible data is sent plain when no history depends on it.
        let noise = pseudoRandomBytes(5000)
        XCTAssertFalse(decodeFrames(s.encodeBinary(noise))[0].rsv1)
    }

    func testFragmentedCompressedMessageAndEmptyMessage() {
        let d = NegotiatedDeflate(serverNoContextTakeover: true, clientNoContextTakeover: true)
        let deflater = DeflateCompressor(windowBits: 15, memLevel: 8, level: 6)!
        var data: [UInt8] = []
        let text = jsonLike(10_000)
        text.withUnsafeBytes { _ = deflater.compress($0, into: &data) }
        let third = data.count / 3
        let wire = frame(1, Array(data[..<third]), fin: false, rsv1: true) + frame(0x9, [9])
            + frame(0, Array(data[third..<2 * third]), fin: false) + frame(0, Array(data[(2 * third)...]))
        let s = server(deflate: d)
        XCTAssertEqual(s.feed(wire).events, [.ping([9]), .text(text)])
        // An empty message compresses to a single 0x00 (an empty stored block minus its tail).
        var empty: [UInt8] = []
        deflater.reset()
        [UInt8]().withUnsafeBytes { _ = deflater.compress($0, into: &empty) }
        XCTAssertEqual(empty, [0x00])
        XCTAssertEqual(s.feed(frame(2, empty, rsv1: true)).events, [.binary([])])
        // A final block (BFINAL) from the peer is accepted too.
        XCTAssertEqual(s.feed(frame(2, [0x03, 0x00], rsv1: true)).events, [.binary([])])
    }

    func testCorruptCompressedDataFails1007AndInvalidInflatedUTF8Fails1007() {
        let d = NegotiatedDeflate()
        XCTAssertEqual(server(deflate: d).feed(frame(1, [0xFF, 0xFF, 0xFF, 0xFF], rsv1: true)).outcome, .failed(code: 1007))
        let deflater = DeflateCompressor(windowBits: 15, memLevel: 8, level: 6)!
        var data: [UInt8] = []
        ([0x61, 0x62, 0xC0, 0xAF] as [UInt8]).withUnsafeBytes { _ = deflater.compress($0, into: &data) }
        XCTAssertEqual(server(deflate: d).feed(frame(1, data, rsv1: true)).outcome, .failed(code: 1007))
    }

    /// 100 MB of zeros deflates to ~100 KB. Sent as a fragmented compressed message in 64 KB frames and fed in
    /// 64 KB reads, it must be refused with 1009 on the first read, having inflated at most max + 1 bytes.
    func testZipBombRefused() {
        let deflater = DeflateCompressor(windowBits: 15, memLevel: 8, level: 9)!
        var compressed: [UInt8] = []
        let mb = [UInt8](repeating: 0, count: 1 << 20)
        for i in 0..<100 { mb.withUnsafeBytes { _ = deflater.compress($0, final: i == 99, into: &compressed) } }
        XCTAssertLessThan(compressed.count, 200_000)
        var wire: [UInt8] = []
        var offset = 0
        while offset < compressed.count {
            let end = min(offset + 65_536, compressed.count)
            wire += frame(offset == 0 ? 2 : 0, Array(compressed[offset..<end]), fin: end == compressed.count, rsv1: offset == 0)
            offset = end
        }
        let s = server(max: 1_000_000, deflate: NegotiatedDeflate())
        var reads = 0
        var outcome = WebSocketReceiveOutcome.ok
        var events: [WebSocketEvent] = []
        offset = 0
        while offset < wire.count && outcome == .ok {
            let end = min(offset + 65_536, wire.count)
            outcome = s.receive(Array(wire[offset..<end])) { events.append($0) }
            reads += 1
            offset = end
        }
        XCTAssertEqual(outcome, .failed(code: 1009))
        XCTAssertEqual(reads, 1)
        XCTAssertEqual(events, [])
        XCTAssertEqual(decodeFrames(s.takeOutput() ?? []).first?.payload, [0x03, 0xF1])

        // The inflater itself stops one byte past the limit.
        let inflater = DeflateDecompressor(windowBits: 15)!
        var out: [UInt8] = []
        let failure = compressed.withUnsafeBytes { inflater.inflate($0, into: &out, limit: 1_000_000) }
        XCTAssertEqual(failure, .tooBig)
        XCTAssertEqual(out.count, 1_000_001)
    }

    func testCompressedSizeAnnouncedOverLimit() {
        let s = server(max: 10_000, deflate: NegotiatedDeflate())
        XCTAssertEqual(s.feed(Array(frame(2, [UInt8](repeating: 0, count: 20_000), rsv1: true).prefix(8))).outcome, .failed(code: 1009))
    }

    func testPreparedMessageSharedBytes() {
        let text = String(decoding: jsonLike(5000), as: UTF8.self)
        let prepared = PreparedWebSocketMessage(text: text)
        let d = NegotiatedDeflate(serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 12)
        let engines = (0..<50).map { _ in server(deflate: d, config: config()) }
        let frames = engines.map { $0.encode(prepared) }
        XCTAssertTrue(frames.allSatisfy { $0 == frames[0] })
        XCTAssertTrue(decodeFrames(frames[0])[0].rsv1)
        // Same storage, not just equal contents: compressed once.
        let base0 = frames[0].withUnsafeBufferPointer { $0.baseAddress }
        XCTAssertTrue(frames.allSatisfy { f in f.withUnsafeBufferPointer { $0.baseAddress } == base0 })
        XCTAssertEqual(client(deflate: d).feed(frames[0]).events, [.text(Array(text.utf8))])
        // And identical to what a single engine would send.
        XCTAssertEqual(server(deflate: d, config: config()).encodeText(text), frames[0])
        // Uncompressed connections share the plain frame.
        XCTAssertEqual(server().encode(prepared), prepared.frame)
        XCTAssertEqual(client().feed(prepared.frame).events, [.text(Array(text.utf8))])
        // Context takeover cannot share; it still decodes.
        let takeover = NegotiatedDeflate()
        let (s, c) = pair(takeover)
        XCTAssertEqual(c.feed(s.encode(prepared) + s.encode(prepared)).events, [.text(Array(text.utf8)), .text(Array(text.utf8))])
    }

    /// Measures what zlib allocates per stream (through a counting zalloc), as quoted in DeflateCodec.swift.
    func testMeasuredMemory() {
        let input = jsonLike(4096)
        func measure(deflate windowBits: Int32, memLevel: Int32) -> Int {
            countingStream { s in
                XCTAssertEqual(czlib_deflate_init2(s, 6, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY), Z_OK)
                var out = [UInt8](repeating: 0, count: 8192)
                var inCopy = input
                inCopy.withUnsafeMutableBufferPointer { i in
                    out.withUnsafeMutableBufferPointer { o in
                        s.pointee.next_in = i.baseAddress; s.pointee.avail_in = UInt32(i.count)
                        s.pointee.next_out = o.baseAddress; s.pointee.avail_out = UInt32(o.count)
                        _ = deflate(s, Z_SYNC_FLUSH)
                    }
                }
                deflateEnd(s)
            }
        }
        func measure(inflate windowBits: Int32) -> Int {
            var data: [UInt8] = []
            input.withUnsafeBytes { _ = DeflateCompressor(windowBits: 12, memLevel: 8, level: 6)!.compress($0, into: &data) }
            return countingStream { s in
                XCTAssertEqual(czlib_inflate_init2(s, -windowBits), Z_OK)
                var out = [UInt8](repeating: 0, count: 8192)
                data.withUnsafeMutableBufferPointer { i in
                    out.withUnsafeMutableBufferPointer { o in
                        s.pointee.next_in = i.baseAddress; s.pointee.avail_in = UInt32(i.count)
                        s.pointee.next_out = o.baseAddress; s.pointee.avail_out = UInt32(o.count)
                        _ = inflate(s, Z_SYNC_FLUSH)
                    }
                }
                inflateEnd(s)
            }
        }
        for (w, m) in [(15, 8), (15, 5), (11, 5), (9, 1)] as [(Int32, Int32)] {
            let bytes = measure(deflate: w, memLevel: m)
            print("zlib deflate windowBits \(w) memLevel \(m): \(bytes) bytes")
            XCTAssertLessThan(bytes, (1 << (w + 2)) + (1 << (m + 9)) + 8192)
        }
        for w: Int32 in [15, 12, 9] {
            let bytes = measure(inflate: w)
            print("zlib inflate windowBits \(w): \(bytes) bytes")
            XCTAssertLessThan(bytes, (1 << w) + 8192)
        }
    }

    /// Runs `body` on a z_stream whose allocator counts bytes requested.
    private func countingStream(_ body: (UnsafeMutablePointer<z_stream>) -> Void) -> Int {
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        defer { s.deallocate() }
        s.pointee.opaque = UnsafeMutableRawPointer(counter)
        s.pointee.zalloc = { opaque, items, size in
            opaque!.assumingMemoryBound(to: Int.self).pointee += Int(items) * Int(size)
            return malloc(Int(items) * Int(size))
        }
        s.pointee.zfree = { _, p in free(p) }
        body(s)
        return counter.pointee
    }
}
