import Synchronization

/// A message encoded once for many connections (server role, unmasked). Connections without compression,
/// or below the threshold, write `frame`; connections with server_no_context_takeover share one compressed
/// frame per (window, memLevel, level), built by the first connection that needs it. Everything is immutable
/// except that cache, which is behind a mutex, so the message may be handed to every loop.
public final class PreparedWebSocketMessage: Sendable {
    public let opcode: WebSocketOpcode
    public let payload: [UInt8]
    /// The uncompressed, unmasked frame.
    public let frame: [UInt8]

    private struct Key: Hashable { var windowBits: Int; var memLevel: Int32; var level: Int32 }
    private let compressed = Mutex<[Key: [UInt8]]>([:])

    public init(opcode: WebSocketOpcode, payload: [UInt8]) {
        precondition(opcode == .text || opcode == .binary, "only data messages can be prepared")
        self.opcode = opcode
        self.payload = payload
        self.frame = WebSocketFrame.encode(opcode: opcode, payload: payload)
    }

    public convenience init(text: String) { self.init(opcode: .text, payload: Array(text.utf8)) }
    public convenience init(binary: [UInt8]) { self.init(opcode: .binary, payload: binary) }

    /// The compressed frame for these parameters (or `frame` when deflate does not shrink it).
    func frame(windowBits: Int, memLevel: Int32, level: Int32) -> [UInt8] {
        let key = Key(windowBits: windowBits, memLevel: memLevel, level: level)
        if let cached = compressed.withLock({ $0[key] }) { return cached }
        // Compress outside the lock: a race costs one redundant compression, never a stalled loop.
        var built = frame
        var data: [UInt8] = []
        if payload.withUnsafeBytes({
            SharedDeflaters.compressMessage($0, windowBits: windowBits, memLevel: memLevel, level: level, into: &data)
        }), data.count < payload.count {
            built = WebSocketFrame.encode(opcode: opcode, rsv1: true, payload: data)
        }
        // First writer wins, so every connection gets the very same buffer.
        return compressed.withLock { cache in
            if let existing = cache[key] { return existing }
            cache[key] = built
            return built
        }
    }
}
