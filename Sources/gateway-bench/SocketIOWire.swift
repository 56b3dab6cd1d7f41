import EventLoop
import Glibc
import WebSocket

/// The bench's hot path on one Socket.IO connection, taken over from the project's client with `handOverWebSocket()` once
/// it is connected (so the WebSocket handshake, authentication and CONNECT are the client's). Frames are parsed in place
/// from the read buffer, and each outgoing packet is written as one masked frame from pre-encoded bytes with a number
/// (ack id or timestamp) patched in. It understands what the bench exchanges on namespace `/`: acks (`43<id>[…]`), events
/// (`42[…]`), Engine.IO pings (answered `3`) and closes; anything else ends the connection as a failure.
/// Why: through the full client an echo cost the bench about what it cost the server (a JSON decode and encode, a timer,
/// a closure and a dictionary entry per ack, a getrandom syscall per mask key), so the bench measured itself as much as
/// the gateway. Loop-confined.
final class SocketIOWire: ConnectionDelegate {
    let session: WebSocketSession
    private let masks: MaskKeys
    /// `43<id>[…]`: the id and the ack's arguments (from `[`). Valid during the call only.
    var onAck: ((Int, UnsafeRawBufferPointer) -> Void)?
    /// `42[…]`: the event's array (name and arguments). Valid during the call only.
    var onEvent: ((UnsafeRawBufferPointer) -> Void)?
    /// Called once, when the connection ends or the server says something the wire does not understand.
    var onClose: ((String) -> Void)?
    /// Bytes of a frame that has not fully arrived (rare: frames are small).
    private var partial: [UInt8] = []
    private var closed = false

    init(session: WebSocketSession, masks: MaskKeys) {
        self.session = session
        self.masks = masks
        session.connection.delegate = self
    }

    var loop: EventLoop { session.connection.loop }

    /// Sends the text packet `head` + `number` in decimal (none when negative) + `tail` as one masked frame (or, with
    /// `opcode`, another unfragmented frame).
    func send(_ head: [UInt8], _ number: Int, _ tail: [UInt8], opcode: UInt8 = 0x1) {
        let digits = number < 0 ? 0 : Self.decimalLength(number)
        let length = head.count + digits + tail.count
        let headerLength = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
        let key = masks.next()
        let frame = [UInt8](unsafeUninitializedCapacity: headerLength + 4 + length) { out, initialized in
            out[0] = 0x80 | opcode  // FIN
            if length < 126 {
                out[1] = 0x80 | UInt8(length)
            } else if length <= 0xFFFF {
                out[1] = 0x80 | 126
                out[2] = UInt8(length >> 8)
                out[3] = UInt8(length & 0xFF)
            } else {
                out[1] = 0x80 | 127
                for i in 0..<8 { out[2 + i] = UInt8(truncatingIfNeeded: length >> (56 - 8 * i)) }
            }
            for i in 0..<4 { out[headerLength + i] = UInt8(truncatingIfNeeded: key >> (8 * i)) }
            let start = headerLength + 4
            var at = start
            at = Self.copy(head, to: out, at: at)
            if digits > 0 {
                var rest = number
                for i in stride(from: at + digits - 1, through: at, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                at += digits
            }
            at = Self.copy(tail, to: out, at: at)
            for i in start..<at { out[i] ^= UInt8(truncatingIfNeeded: key >> (8 * ((i - start) & 3))) }
            initialized = at
        }
        session.connection.write(frame)
    }

    func close() {
        onClose = nil
        session.connection.close()
    }

    private static func copy(_ bytes: [UInt8], to out: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        bytes.withUnsafeBufferPointer { source in
            guard let start = source.baseAddress else { return }  // empty
            (out.baseAddress! + at).initialize(from: start, count: source.count)
        }
        return at + bytes.count
    }

    static func decimalLength(_ n: Int) -> Int {
        var length = 1, rest = n
        while rest >= 10 { rest /= 10; length += 1 }
        return length
    }

    // MARK: ConnectionDelegate

    func connectionDidBecomeActive(_ connection: Connection) {}

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if partial.isEmpty {
            let used = consume(bytes)
            if used < bytes.count && !closed { partial.append(contentsOf: bytes[used...]) }
        } else {
            partial.append(contentsOf: bytes)
            let used = partial.withUnsafeBytes { consume($0) }
            if !closed { partial.removeFirst(used) }
        }
    }

    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) { finish("connection closed: \(reason)") }

    // MARK: Reading

    /// Handles every whole frame in `bytes`; returns how many bytes they took.
    private func consume(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while !closed && bytes.count - offset >= 2 {
            let b0 = bytes[offset], b1 = bytes[offset + 1]
            var length = Int(b1 & 0x7F), headerLength = 2
            if length == 126 {
                guard bytes.count - offset >= 4 else { break }
                length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
                headerLength = 4
            } else if length == 127 {
                guard bytes.count - offset >= 10 else { break }
                length = 0
                for i in 0..<8 { length = length << 8 | Int(bytes[offset + 2 + i]) }
                headerLength = 10
            }
            guard bytes.count - offset >= headerLength + length else { break }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerLength)..<(offset + headerLength + length)])
            offset += headerLength + length
            // The client offers no extension and the server does not fragment what the bench receives.
            guard b1 & 0x80 == 0, b0 & 0xF0 == 0x80 else {
                fail("unexpected frame (masked, fragmented or compressed)")
                break
            }
            switch b0 & 0x0F {
            case 0x1: text(payload)
            case 0x8: fail("the server closed the WebSocket")
            case 0x9: send(Array(payload), -1, [], opcode: 0xA)  // pong (the gateway pings at the Engine.IO level)
            case 0xA: break
            default: fail("unexpected opcode \(b0 & 0x0F)")
            }
        }
        return offset
    }

    private func text(_ packet: UnsafeRawBufferPointer) {
        guard let type = packet.first else { return fail("empty Engine.IO packet") }
        switch type {
        case UInt8(ascii: "4"):
            guard packet.count >= 2 else { return fail("empty Socket.IO packet") }
            switch packet[1] {
            case UInt8(ascii: "3"):
                var index = 2, id = 0
                while index < packet.count, packet[index] >= UInt8(ascii: "0"), packet[index] <= UInt8(ascii: "9") {
                    id = id &* 10 &+ Int(packet[index] - UInt8(ascii: "0"))
                    index += 1
                }
                guard index > 2, index < packet.count, packet[index] == UInt8(ascii: "[") else { return fail("malformed ack") }
                onAck?(id, UnsafeRawBufferPointer(rebasing: packet[index...]))
            case UInt8(ascii: "2"):
                var index = 2
                while index < packet.count, packet[index] != UInt8(ascii: "[") { index += 1 }  // an ack id, unused here
                guard index < packet.count else { return fail("malformed event") }
                onEvent?(UnsafeRawBufferPointer(rebasing: packet[index...]))
            case UInt8(ascii: "1"): fail("io server disconnect")
            default: fail("unexpected Socket.IO packet type \(packet[1])")
            }
        case UInt8(ascii: "2"): send(Self.pong, -1, [])
        case UInt8(ascii: "6"): break  // noop
        case UInt8(ascii: "1"): fail("the server closed the Engine.IO session")
        default: fail("unexpected Engine.IO packet type \(type)")
        }
    }

    private static let pong: [UInt8] = [UInt8(ascii: "3")]

    private func fail(_ reason: String) {
        finish(reason)
        session.connection.close()
    }

    private func finish(_ reason: String) {
        guard !closed else { return }
        closed = true
        let onClose = self.onClose
        self.onClose = nil
        onAck = nil
        onEvent = nil
        onClose?(reason)
    }
}

/// WebSocket mask keys for one loop's wires: fresh and unpredictable for every frame (RFC 6455 §5.3), drawn from the
/// kernel's generator (/dev/urandom; Glibc's getrandom is not visible to Swift) 1,024 at a time instead of one getrandom
/// syscall per frame. Loop-confined.
final class MaskKeys {
    private var pool = [UInt32](repeating: 0, count: 1024)
    private var index = 1024

    func next() -> UInt32 {
        if index == pool.count {
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { fatalError("cannot open /dev/urandom: errno \(errno)") }
            defer { Glibc.close(fd) }
            pool.withUnsafeMutableBytes { buffer in
                var filled = 0
                while filled < buffer.count {
                    let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                    if n > 0 { filled += n } else if errno != EINTR { fatalError("reading /dev/urandom failed: errno \(errno)") }
                }
            }
            index = 0
        }
        index += 1
        return pool[index - 1]
    }
}

extension UnsafeRawBufferPointer {
    /// Byte equality with `other` (memcmp).
    func equals(_ other: [UInt8]) -> Bool {
        count == other.count && (count == 0 || other.withUnsafeBytes { memcmp(baseAddress!, $0.baseAddress!, count) == 0 })
    }
}
