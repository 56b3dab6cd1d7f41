import XCTest
@testable import WebSocket

/// Feeds bytes to an engine, collecting events.
struct Feed {
    var events: [WebSocketEvent] = []
    var outcome: WebSocketReceiveOutcome = .ok
}

extension WebSocketProtocolEngine {
    func feed(_ bytes: [UInt8]) -> Feed {
        var f = Feed()
        f.outcome = receive(bytes) { f.events.append($0) }
        return f
    }

    /// Feeds `bytes` in pieces of `size`, stopping at the first non-ok outcome.
    func feed(_ bytes: [UInt8], chunk size: Int) -> Feed {
        var f = Feed()
        var i = 0
        repeat {
            let end = min(i + size, bytes.count)
            f.outcome = receive(Array(bytes[i..<end])) { f.events.append($0) }
            i = end
        } while i < bytes.count && f.outcome == .ok
        return f
    }
}

/// A frame as a client would send it (masked) or a server (unmasked).
func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false,
           rsv3: Bool = false, masked: Bool = true, key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0) | opcode]
    let m: UInt8 = masked ? 0x80 : 0
    if payload.count < 126 {
        out.append(m | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        out += [m | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        out.append(m | 127)
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: payload.count >> s)) }
    }
    if masked {
        out += key
        for (i, b) in payload.enumerated() { out.append(b ^ key[i % 4]) }
    } else {
        out += payload
    }
    return out
}

func closeFrame(_ code: UInt16, masked: Bool = false) -> [UInt8] {
    frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)], masked: masked)
}

/// Decodes frames written by an engine (test-side parser, independent of the engine's).
struct DecodedFrame: Equatable {
    var fin: Bool, rsv1: Bool, opcode: UInt8, masked: Bool, payload: [UInt8]
}

func decodeFrames(_ bytes: [UInt8]) -> [DecodedFrame] {
    var frames: [DecodedFrame] = []
    var i = 0
    while i < bytes.count {
        let b0 = bytes[i], b1 = bytes[i + 1]
        var len = Int(b1 & 0x7F)
        i += 2
        if len == 126 { len = Int(bytes[i]) << 8 | Int(bytes[i + 1]); i += 2 }
        else if len == 127 { len = 0; for _ in 0..<8 { len = len << 8 | Int(bytes[i]); i += 1 } }
        var key: [UInt8] = []
        if b1 & 0x80 != 0 { key = Array(bytes[i..<i + 4]); i += 4 }
        var payload = Array(bytes[i..<i + len])
        if !key.isEmpty { for j in payload.indices { payload[j] ^= key[j % 4] } }
        i += len
        frames.append(DecodedFrame(fin: b0 & 0x80 != 0, rsv1: b0 & 0x40 != 0, opcode: b0 & 0x0F, masked: !key.isEmpty, payload: payload))
    }
    return frames
}

func server(max: Int = 1_000_000, deflate: NegotiatedDeflate? = nil, config: PerMessageDeflateConfiguration? = nil) -> WebSocketProtocolEngine {
    WebSocketProtocolEngine(role: .server, configuration: WebSocketConfiguration(maxMessageBytes: max, compression: config), negotiated: deflate)
}

func client(max: Int = 1_000_000, deflate: NegotiatedDeflate? = nil, config: PerMessageDeflateConfiguration? = nil) -> WebSocketProtocolEngine {
    WebSocketProtocolEngine(role: .client, configuration: WebSocketConfiguration(maxMessageBytes: max, compression: config), negotiated: deflate)
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var x = seed
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

/// Text that compresses well but is not trivial.
func jsonLike(_ count: Int) -> [UInt8] {
    var s: [UInt8] = []
    var n = 0
    while s.count < count {
        s += Array("{\"type\":\"workout\",\"id\":\(n),\"reps\":\(n % 17),\"name\":\"squat ok\"},".utf8)
        n += 1
    }
    return Array(s.prefix(count))
}
