import CZlib

// Raw DEFLATE (no zlib header: negative windowBits) as permessage-deflate needs it (RFC 7692 §7.2).
//
// Memory per stream: zlib documents deflate ≈ (1 << (windowBits + 2)) + (1 << (memLevel + 9)) and inflate
// ≈ 1 << windowBits, plus their state structs. Measured with a counting zalloc (CompressionTests.
// testMeasuredMemory, zlib 1.2.13, x86_64), after one message:
//   deflate 15/8: 268,096 B   15/5: 153,408 B   11/5: 30,528 B   9/1: 9,024 B
//   inflate 15:    39,928 B   12:    11,256 B    9:   7,672 B   (the window is allocated on first use)
// That is why the engine allocates both lazily and frees them after each message when the negotiated
// parameters say there is no context to keep (see PerMessageDeflateConfiguration).

/// Compresses messages. The z_stream lives at a fixed heap address because zlib keeps a pointer back to it.
final class DeflateCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    let windowBits: Int

    /// windowBits 8…15. zlib ≥ 1.2.9 refuses raw deflate with a window of 8 (256 bytes), yet a client may require it
    /// (`server_max_window_bits=8`). A 9-bit deflater keeps its matches within w_size − MIN_LOOKAHEAD = 512 − 262 =
    /// 250 bytes, so its output is valid for a 256-byte window: 8 is served by 9 (tested with a 256-byte inflater).
    init?(windowBits: Int, memLevel: Int32, level: Int32) {
        guard (8...15).contains(windowBits), (1...9).contains(memLevel), (-1...9).contains(level) else { return nil }
        self.windowBits = windowBits
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = czlib_deflate_init2(stream, level, Z_DEFLATED, -Int32(max(windowBits, 9)), memLevel, Z_DEFAULT_STRATEGY)
        if rc != Z_OK {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Forgets the history (no context takeover) without freeing zlib's buffers.
    func reset() { deflateReset(stream) }

    /// Appends the compressed form of `input` to `out`. With `final`, the data is sync-flushed and the
    /// resulting empty stored block's 00 00 FF FF tail is removed, as RFC 7692 §7.2.1 requires; without it
    /// zlib may hold data back (used to stream one large message in pieces).
    @discardableResult
    func compress(_ input: UnsafeRawBufferPointer, final: Bool = true, into out: inout [UInt8]) -> Bool {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        let flush = final ? Z_SYNC_FLUSH : Z_NO_FLUSH
        // zlib writes into a scratch chunk that is then memcpy'd: Array has no way to expose spare capacity,
        // and zero-filling the output first costs as much as the copy.
        return withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch -> Bool in
            while true {
                stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(scratch.count)
                let rc = deflate(stream, flush)
                let produced = scratch.count - Int(stream.pointee.avail_out)
                stream.pointee.next_out = nil
                stream.pointee.avail_out = 0
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<produced]))
                if rc != Z_OK && rc != Z_BUF_ERROR { return false }
                // A full chunk means zlib may have more to give; otherwise all input is consumed and flushed.
                if produced < scratch.count { break }
            }
            guard final else { return true }
            guard out.count >= 4, out[out.count - 4] == 0, out[out.count - 3] == 0,
                  out[out.count - 2] == 0xFF, out[out.count - 1] == 0xFF else { return false }
            out.removeLast(4)
            return true
        }
    }
}

/// Decompresses messages, refusing to produce more than a caller-given number of bytes.
final class DeflateDecompressor {
    enum Failure: Error, Equatable {
        /// Output would exceed the limit: the message is too big (or a compression bomb).
        case tooBig
        /// The compressed data is not valid DEFLATE for this window.
        case corrupt
    }

    private let stream: UnsafeMutablePointer<z_stream>
    let windowBits: Int
    /// A peer may end its data with a BFINAL block; what follows in the same message (our 00 00 FF FF) is ignored.
    private var streamEnded = false

    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// A window of 8 is inflated with 9: a zlib-based peer told "8" actually compresses with 9 (see
    /// DeflateCompressor), and a larger inflate window is always safe.
    init?(windowBits: Int) {
        guard (8...15).contains(windowBits) else { return nil }
        self.windowBits = max(windowBits, 9)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        if czlib_inflate_init2(stream, -Int32(self.windowBits)) != Z_OK {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func reset() {
        inflateReset(stream)
        streamEnded = false
    }

    /// Inflates a piece of a message's compressed payload, appending to `out`. Output is produced at most
    /// `limit - out.count + 1` bytes at a time, so a bomb is detected after writing one byte past the limit,
    /// never after inflating it.
    func inflate(_ input: UnsafeRawBufferPointer, into out: inout [UInt8], limit: Int) -> Failure? {
        if streamEnded || input.isEmpty { return nil }
        if out.count > limit { return .tooBig }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        return withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch -> Failure? in
            while true {
                // Never ask for more than one byte past the limit.
                let chunk = min(limit - out.count + 1, scratch.count)
                stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(chunk)
                let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let left = Int(stream.pointee.avail_out)
                stream.pointee.next_out = nil
                stream.pointee.avail_out = 0
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<(chunk - left)]))
                if out.count > limit { return .tooBig }
                switch rc {
                case Z_OK: break
                case Z_STREAM_END:
                    // History is lost with the reset; a peer that ends the stream cannot also use context takeover.
                    inflateReset(stream)
                    streamEnded = true
                    return nil
                case Z_BUF_ERROR: return nil  // no progress possible: input consumed, nothing pending
                default: return .corrupt
                }
                if stream.pointee.avail_in == 0 && left > 0 { return nil }
            }
        }
    }

    /// Ends a message: feeds back the 00 00 FF FF the sender stripped (RFC 7692 §7.2.2).
    func finishMessage(into out: inout [UInt8], limit: Int) -> Failure? {
        defer { streamEnded = false }
        return Self.tail.withUnsafeBytes { inflate($0, into: &out, limit: limit) }
    }
}
