/// Frame encoding (RFC 6455 §5.2) and the masking transform shared by encoder and parser.
public enum WebSocketFrame {
    /// Header length for a payload of `length` bytes: 2 bytes, plus 2 or 8 for the extended length, plus 4 for a mask.
    @inlinable public static func headerSize(payloadLength length: Int, masked: Bool) -> Int {
        (length < 126 ? 2 : length <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0)
    }

    /// Appends one frame to `out`. Lengths always use the minimal form (§5.2 requires it of senders).
    /// `maskKey` (client role) masks the payload as it is copied, so the caller's bytes are never modified.
    public static func append(
        to out: inout [UInt8], opcode: WebSocketOpcode, fin: Bool = true, rsv1: Bool = false,
        payload: UnsafeRawBufferPointer, maskKey: UInt32? = nil
    ) {
        let length = payload.count
        out.reserveCapacity(out.count + headerSize(payloadLength: length, masked: maskKey != nil) + length)
        out.append((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if length < 126 {
            out.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(length >> 8)); out.append(UInt8(length & 0xFF))
        } else {
            out.append(maskBit | 127)
            let l = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: l >> UInt64(shift))) }
        }
        guard let key = maskKey else {
            out.append(contentsOf: payload)
            return
        }
        // Key bytes go on the wire in memory order so that `applyMask`, which also works in memory order, agrees.
        withUnsafeBytes(of: key) { out.append(contentsOf: $0) }
        let start = out.count
        out.append(contentsOf: payload)
        out.withUnsafeMutableBytes { buffer in
            applyMask(key: key, phase: 0, to: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Convenience: one complete frame as a new array.
    public static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, rsv1: Bool = false, payload: UnsafeRawBufferPointer, maskKey: UInt32? = nil
    ) -> [UInt8] {
        var out: [UInt8] = []
        append(to: &out, opcode: opcode, fin: fin, rsv1: rsv1, payload: payload, maskKey: maskKey)
        return out
    }

    public static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, rsv1: Bool = false, payload: [UInt8], maskKey: UInt32? = nil
    ) -> [UInt8] {
        payload.withUnsafeBytes { encode(opcode: opcode, fin: fin, rsv1: rsv1, payload: $0, maskKey: maskKey) }
    }

    /// XORs `buffer` with the mask. `key` holds the four key bytes in wire (memory) order; `phase` is the payload
    /// offset of `buffer[0]` modulo 4, so a payload split across reads unmasks correctly chunk by chunk.
    /// Eight bytes per step: the key is rotated by `phase` and doubled into a 64-bit word once.
    @inlinable public static func applyMask(key: UInt32, phase: Int, to buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // Rotating in memory order: on little endian, byte i of the word is bits 8i..8i+7, so a phase shift of
        // p bytes is a right rotation by 8p bits.
        var rotated = key
        let p = UInt32(phase & 3)
        if p != 0 {
            #if _endian(little)
            rotated = (key >> (8 * p)) | (key << (32 - 8 * p))
            #else
            rotated = (key << (8 * p)) | (key >> (32 - 8 * p))
            #endif
        }
        let wide = UInt64(rotated) | (UInt64(rotated) << 32)
        let count = buffer.count
        var i = 0
        while i + 8 <= count {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            base.storeBytes(of: v ^ wide, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        // The tail starts at a multiple of 8, so key byte order is the rotated order again.
        withUnsafeBytes(of: rotated) { k in
            var j = 0
            while i < count {
                base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self) ^ k[j & 3], toByteOffset: i, as: UInt8.self)
                i += 1; j += 1
            }
        }
    }
}
