/// A decoded frame header. `opcode` stays raw so reserved values reach the engine's validation.
public struct WebSocketFrameHeader: Sendable, Equatable {
    public var fin: Bool
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    public var opcode: UInt8
    /// Key bytes in wire order, packed in memory order (see `WebSocketFrame.applyMask`); nil when unmasked.
    public var maskKey: UInt32?
    public var payloadLength: UInt64
}

/// Incremental frame splitter: headers are buffered until complete (at most 14 bytes), payload is handed out
/// in whatever pieces the input arrives in, still masked, together with the mask phase. It never copies or
/// holds payload, so a frame's size costs nothing here; the engine decides what to keep.
struct WebSocketFrameParser {
    enum Step {
        /// Input exhausted.
        case needMore
        case header(WebSocketFrameHeader)
        /// A piece of the current frame's payload, still masked; `phase` is its offset in the payload modulo 4.
        case payload(UnsafeRawBufferPointer, phase: Int)
        /// The current frame's payload is complete (also right after a header with an empty payload).
        case frameEnd
        /// 64-bit length with the most significant bit set (§5.2).
        case invalidLength
    }

    private var headerBytes: (UInt64, UInt64) = (0, 0)  // 16 bytes of storage, enough for the 14-byte maximum
    private var headerCount = 0
    private var inPayload = false
    private var remaining: UInt64 = 0
    private var payloadOffset: UInt64 = 0

    /// Consumes from `input[offset...]`, advancing `offset`, and returns the next step.
    mutating func next(_ input: UnsafeRawBufferPointer, offset: inout Int) -> Step {
        if inPayload {
            if remaining == 0 {
                inPayload = false
                return .frameEnd
            }
            let available = input.count - offset
            if available == 0 { return .needMore }
            let take = Int(min(UInt64(available), remaining))
            let piece = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + take)])
            let phase = Int(payloadOffset & 3)
            offset += take
            remaining -= UInt64(take)
            payloadOffset += UInt64(take)
            return .payload(piece, phase: phase)
        }
        // Header: copy bytes until the needed length is known and present.
        while true {
            let needed = headerCount < 2 ? 2 : Self.headerLength(firstTwo: headerByte(0), headerByte(1))
            if headerCount >= needed { break }
            if offset >= input.count { return .needMore }
            let take = min(needed - headerCount, input.count - offset)
            withUnsafeMutableBytes(of: &headerBytes) { dst in
                dst.baseAddress!.advanced(by: headerCount).copyMemory(from: input.baseAddress!.advanced(by: offset), byteCount: take)
            }
            headerCount += take
            offset += take
        }
        let b0 = headerByte(0), b1 = headerByte(1)
        var length = UInt64(b1 & 0x7F)
        var cursor = 2
        if length == 126 {
            length = UInt64(headerByte(2)) << 8 | UInt64(headerByte(3))
            cursor = 4
        } else if length == 127 {
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(headerByte(i)) }
            cursor = 10
            if length >> 63 != 0 { headerCount = 0; return .invalidLength }
        }
        var key: UInt32? = nil
        if b1 & 0x80 != 0 {
            key = withUnsafeBytes(of: headerBytes) { $0.loadUnaligned(fromByteOffset: cursor, as: UInt32.self) }
        }
        headerCount = 0
        inPayload = true
        remaining = length
        payloadOffset = 0
        return .header(WebSocketFrameHeader(
            fin: b0 & 0x80 != 0, rsv1: b0 & 0x40 != 0, rsv2: b0 & 0x20 != 0, rsv3: b0 & 0x10 != 0,
            opcode: b0 & 0x0F, maskKey: key, payloadLength: length))
    }

    @inline(__always) private func headerByte(_ i: Int) -> UInt8 {
        withUnsafeBytes(of: headerBytes) { $0[i] }
    }

    @inline(__always) static func headerLength(firstTwo b0: UInt8, _ b1: UInt8) -> Int {
        let len7 = b1 & 0x7F
        return (len7 < 126 ? 2 : len7 == 126 ? 4 : 10) + (b1 & 0x80 != 0 ? 4 : 0)
    }
}
