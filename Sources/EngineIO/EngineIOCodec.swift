import GatewayProtocol
/// An Engine.IO v4 packet (engine.io-parser): a type digit, then optional data.
public enum EngineIOPacket: Sendable, Equatable {
    /// `0` + the handshake JSON.
    case open([UInt8])
    /// `1`
    case close
    /// `2` (+ `probe` during an upgrade)
    case ping([UInt8])
    /// `3` (+ `probe`)
    case pong([UInt8])
    /// `4` text, `b…` (polling) or a binary frame (WebSocket)
    case message(EngineIOMessage)
    /// `5`
    case upgrade
    /// `6`
    case noop

    static let probe: [UInt8] = Array("probe".utf8)
}

/// The wire format, bytes in and bytes out; no Foundation, no JSON parser.
public enum EngineIOCodec {
    /// Separator between packets of a polling payload (ASCII record separator).
    public static let separator: UInt8 = 0x1E

    /// Appends one packet as it appears in a polling payload (binary as `b` + base64).
    public static func appendPollingPacket(_ packet: EngineIOPacket, to out: inout [UInt8]) {
        switch packet {
        case .open(let json):
            out.append(UInt8(ascii: "0"))
            out.append(contentsOf: json)
        case .close: out.append(UInt8(ascii: "1"))
        case .ping(let data):
            out.append(UInt8(ascii: "2"))
            out.append(contentsOf: data)
        case .pong(let data):
            out.append(UInt8(ascii: "3"))
            out.append(contentsOf: data)
        case .message(.text(let utf8)):
            out.append(UInt8(ascii: "4"))
            out.append(contentsOf: utf8)
        case .message(.binary(let bytes)):
            out.append(UInt8(ascii: "b"))
            EngineIOBase64.encode(bytes, into: &out)
        case .upgrade: out.append(UInt8(ascii: "5"))
        case .noop: out.append(UInt8(ascii: "6"))
        }
    }

    /// Packets joined by `\x1e`, as `encodePayload`.
    public static func encodePayload(_ packets: [EngineIOPacket]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, packet) in packets.enumerated() {
            if i > 0 { out.append(separator) }
            appendPollingPacket(packet, to: &out)
        }
        return out
    }

    /// The WebSocket form of a packet: text packets as text frames (`4hello`), binary messages as bare binary frames.
    public static func encodeWebSocket(_ packet: EngineIOPacket) -> (binary: Bool, payload: [UInt8]) {
        if case .message(.binary(let bytes)) = packet { return (true, bytes) }
        var out: [UInt8] = []
        appendPollingPacket(packet, to: &out)
        return (false, out)
    }

    /// One packet from a text segment (a polling payload part or a WebSocket text frame); nil is a parse error
    /// (an empty segment or an unknown type), as `decodePacket` returning its error packet.
    public static func decodeTextPacket(_ bytes: ArraySlice<UInt8>) -> EngineIOPacket? {
        guard let type = bytes.first else { return nil }
        let data = bytes.dropFirst()
        switch type {
        case UInt8(ascii: "0"): return .open(Array(data))
        case UInt8(ascii: "1"): return .close
        case UInt8(ascii: "2"): return .ping(Array(data))
        case UInt8(ascii: "3"): return .pong(Array(data))
        case UInt8(ascii: "4"): return .message(.text(Array(data)))
        case UInt8(ascii: "5"): return .upgrade
        case UInt8(ascii: "6"): return .noop
        case UInt8(ascii: "b"): return .message(.binary(EngineIOBase64.decode(data)))
        default: return nil
        }
    }

    /// Splits a polling payload. Decoding stops at the first bad packet, as `decodePayload`: the packets before it are
    /// returned and `failed` is true. Text must be valid UTF-8 (a message we hand on as text must be).
    public static func decodePayload(_ body: [UInt8]) -> (packets: [EngineIOPacket], failed: Bool) {
        guard isValidUTF8(body) else { return ([], true) }
        var packets: [EngineIOPacket] = []
        var start = body.startIndex
        while true {
            let end = body[start...].firstIndex(of: separator) ?? body.endIndex
            guard let packet = decodeTextPacket(body[start..<end]) else { return (packets, true) }
            packets.append(packet)
            if end == body.endIndex { return (packets, false) }
            start = end + 1
        }
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        // ASCII fast path: Engine.IO payloads are mostly JSON.
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// `0{"sid":"…","upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}`'s JSON, byte-exact with
    /// `JSON.stringify` in the official server (key order included).
    public static func openPacketJSON(sid: String, upgrades: [String], pingInterval: Int, pingTimeout: Int,
                                      maxPayload: Int) -> [UInt8] {
        var out = Array("{\"sid\":".utf8)
        JSONWriter.appendString(sid, to: &out)
        out += Array(",\"upgrades\":[".utf8)
        for (i, upgrade) in upgrades.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(upgrade, to: &out)
        }
        out += Array("],\"pingInterval\":\(pingInterval),\"pingTimeout\":\(pingTimeout),\"maxPayload\":\(maxPayload)}".utf8)
        return out
    }
}

/// RFC 4648 base64 with padding for output; input decoding is lenient like Node's `Buffer.from(s, "base64")`: both
/// alphabets (standard and URL-safe), characters outside them skipped, stops at the first `=`.
public enum EngineIOBase64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    public static func encode(_ bytes: [UInt8], into out: inout [UInt8], urlSafe: Bool = false) {
        let table = urlSafe ? urlAlphabet : alphabet
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var i = 0
        let n = bytes.count
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(table[Int(v >> 18)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(table[Int(v >> 6 & 63)])
            out.append(table[Int(v & 63)])
            i += 3
        }
        let rest = n - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(table[Int(v >> 18)])
            out.append(table[Int(v >> 12 & 63)])
            if !urlSafe { out += [UInt8(ascii: "="), UInt8(ascii: "=")] }
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(table[Int(v >> 18)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(table[Int(v >> 6 & 63)])
            if !urlSafe { out.append(UInt8(ascii: "=")) }
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode<C: Collection>(_ text: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in text {
            if c == UInt8(ascii: "=") { break }
            let v = decodeTable[Int(c)]
            if v == 0xFF { continue }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}

/// Session ids: 15 bytes from the system CSPRNG (`getrandom` behind `SystemRandomNumberGenerator`), URL-safe base64 —
/// 20 characters, as the official `base64id`.
/// Session and socket ids: 90 bits from the system CSPRNG as 15 URL-safe base64 characters. The official servers use 20
/// (120 bits); 15 keeps an id inside a Swift `String`'s inline storage, so the ids a connection holds (its sid, its
/// socket's id, the same id as a room and in the server's tables) cost no allocation and no reference counting. 90
/// random bits are far beyond guessing range for a session that lives hours.
public enum EngineIOSid {
    private static let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static let length = 15

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var bits: UInt64 = rng.next()
        var more: UInt64 = rng.next()
        return String(unsafeUninitializedCapacity: length) { out in
            for i in 0..<10 {
                out[i] = characters[Int(bits & 63)]
                bits >>= 6
            }
            for i in 10..<15 {
                out[i] = characters[Int(more & 63)]
                more >>= 6
            }
            return length
        }
    }
}

