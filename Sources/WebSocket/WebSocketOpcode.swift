/// Frame opcodes (RFC 6455 §5.2). Values 3–7 and 0xB–0xF are reserved and have no case, so an
/// unknown opcode can only ever reach the engine as a raw `UInt8` and be rejected there.
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames may interleave fragmented messages and are limited to 125 bytes, unfragmented.
    @inlinable public var isControl: Bool { rawValue & 0x8 != 0 }
}
