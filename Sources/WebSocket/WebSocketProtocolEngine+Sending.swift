extension WebSocketProtocolEngine {
    /// One unfragmented text frame; `utf8` must be valid UTF-8 (not checked: it is our own data).
    /// Compressed when deflate was negotiated and the message reaches the threshold; masked in client role.
    /// Empty after we sent a Close (§5.5.1: no data may follow it).
    public func encodeText(_ utf8: UnsafeRawBufferPointer) -> [UInt8] { encodeMessage(.text, utf8) }
    public func encodeText(_ string: String) -> [UInt8] {
        var s = string
        return s.withUTF8 { encodeMessage(.text, UnsafeRawBufferPointer($0)) }
    }
    public func encodeBinary(_ bytes: UnsafeRawBufferPointer) -> [UInt8] { encodeMessage(.binary, bytes) }
    public func encodeBinary(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { encodeMessage(.binary, $0) } }

    /// One text frame whose payload `body` appends to the frame buffer itself, after a two-byte header placeholder: the
    /// caller's encoder writes straight into the bytes that go to the socket (no payload array, no copy). A server
    /// frame that is not compressed gets its header filled in place (payloads of 126 bytes and more move forward by
    /// the extended length); a compressed or masked frame is encoded from the written payload, as `encodeText` would.
    public func encodeText(writing body: (inout [UInt8]) -> Void) -> [UInt8] {
        guard state == .open else { return [] }
        var frame: [UInt8] = []
        frame.reserveCapacity(128)
        frame.append(0x80 | WebSocketOpcode.text.rawValue)
        frame.append(0)
        body(&frame)
        let length = frame.count - 2
        if role == .client || (negotiated != nil && length >= deflateConfig.thresholdBytes) {
            return frame.withUnsafeBytes { encodeMessage(.text, UnsafeRawBufferPointer(rebasing: $0[2...])) }
        }
        if length < 126 {
            frame[1] = UInt8(length)
        } else if length <= 0xFFFF {
            frame[1] = 126
            frame.insert(contentsOf: [UInt8(length >> 8), UInt8(length & 0xFF)], at: 2)
        } else {
            frame[1] = 127
            let l = UInt64(length)
            frame.insert(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: l >> UInt64(56 - 8 * $0)) }, at: 2)
        }
        return frame
    }

    /// Control payloads are limited to 125 bytes (§5.5); longer is a programming error.
    public func encodePing(_ payload: [UInt8] = []) -> [UInt8] { encodeControl(.ping, payload) }
    public func encodePong(_ payload: [UInt8] = []) -> [UInt8] { encodeControl(.pong, payload) }

    /// Starts the closing handshake: state becomes `.closing`, and `receive` reports `.closed` when the peer's
    /// Close arrives. `code` nil sends an empty Close. The reason is cut at a UTF-8 boundary to fit 123 bytes.
    public func encodeClose(code: UInt16? = WebSocketCloseCode.normalClosure, reason: String = "") -> [UInt8] {
        guard state == .open else { return [] }
        var payload: [UInt8] = []
        if let code {
            payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
            var r = Array(reason.utf8.prefix(123))
            // Drop continuation bytes and the lead byte of a sequence the cut left incomplete.
            while !UTF8Validator.isValid(r) { r.removeLast() }
            payload += r
        }
        state = .closing
        return payload.withUnsafeBytes { WebSocketFrame.encode(opcode: .close, payload: $0, maskKey: newMaskKey()) }
    }

    /// The frame for a prepared broadcast. In server role the bytes are shared with every other connection
    /// that has the same compression parameters (or none); only context takeover forces per-connection work.
    public func encode(_ prepared: PreparedWebSocketMessage) -> [UInt8] {
        guard state == .open else { return [] }
        guard role == .server else { return prepared.payload.withUnsafeBytes { encodeMessage(prepared.opcode, $0) } }
        if let negotiated, prepared.payload.count >= deflateConfig.thresholdBytes {
            guard negotiated.serverNoContextTakeover else {
                return prepared.payload.withUnsafeBytes { encodeMessage(prepared.opcode, $0) }
            }
            return prepared.frame(windowBits: negotiated.serverMaxWindowBits,
                                  memLevel: deflateConfig.memLevel, level: deflateConfig.level)
        }
        return prepared.frame
    }

    private func encodeControl(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= 125, "control frame payload over 125 bytes")
        guard state == .open else { return [] }
        return payload.withUnsafeBytes { WebSocketFrame.encode(opcode: opcode, payload: $0, maskKey: newMaskKey()) }
    }

    func encodeMessage(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) -> [UInt8] {
        guard state == .open else { return [] }
        if let negotiated, payload.count >= deflateConfig.thresholdBytes {
            let (windowBits, noContextTakeover) = negotiated.sending(role: role)
            if noContextTakeover {
                // No history to keep: borrow this loop's shared deflater instead of owning one.
                var compressed: [UInt8] = []
                if SharedDeflaters.compressMessage(payload, windowBits: windowBits, memLevel: deflateConfig.memLevel,
                                                   level: deflateConfig.level, into: &compressed),
                   compressed.count < payload.count {
                    return compressed.withUnsafeBytes {
                        WebSocketFrame.encode(opcode: opcode, rsv1: true, payload: $0, maskKey: newMaskKey())
                    }
                }
            } else if let deflater = compressor ?? DeflateCompressor(
                windowBits: windowBits, memLevel: deflateConfig.memLevel, level: deflateConfig.level) {
                var compressed: [UInt8] = []
                let ok = deflater.compress(payload, into: &compressed)
                // Dropping the compressor is always safe for the peer: a fresh one never refers back to
                // history, so this also recovers from a (theoretical) zlib failure under context takeover.
                compressor = ok ? deflater : nil
                // Under context takeover the peer has seen the history: the message must go compressed.
                if ok {
                    return compressed.withUnsafeBytes {
                        WebSocketFrame.encode(opcode: opcode, rsv1: true, payload: $0, maskKey: newMaskKey())
                    }
                }
            }
        }
        return WebSocketFrame.encode(opcode: opcode, payload: payload, maskKey: newMaskKey())
    }
}
