import GatewayProtocol

/// Socket.IO protocol v5 packet types (the digit that starts every packet).
public enum SocketIOPacketType: UInt8, Sendable {
    case connect = 0
    case disconnect = 1
    case event = 2
    case ack = 3
    case connectError = 4
    case binaryEvent = 5
    case binaryAck = 6
}

/// One Socket.IO packet. Binary attachments travel beside the JSON: `data` holds `{"_placeholder":true,"num":N}` objects
/// where the buffers go (as the official parser writes them), `attachments[N]` holds the bytes.
public struct SocketIOPacket: Sendable, Equatable {
    public var type: SocketIOPacketType
    public var nsp: String
    public var id: Int?
    public var data: JSONValue?
    public var attachments: [[UInt8]]

    public init(type: SocketIOPacketType, nsp: String = "/", id: Int? = nil, data: JSONValue? = nil,
                attachments: [[UInt8]] = []) {
        self.type = type
        self.nsp = nsp
        self.id = id
        self.data = data
        self.attachments = attachments
    }

    /// Event names a peer may not use (the official list).
    public static let reservedEvents: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]

    /// `reservedEvents.contains(name)` without hashing the name (checked for every event in and out): the length rules
    /// out nearly every name, then at most two comparisons.
    public static func isReserved(_ name: String) -> Bool {
        switch name.utf8.count {
        case 7: return name == "connect"
        case 10: return name == "disconnect"
        case 11: return name == "newListener"
        case 13: return name == "connect_error" || name == "disconnecting"
        case 14: return name == "removeListener"
        default: return false
        }
    }

    // MARK: Encoding

    /// The Engine.IO messages for this packet: one text message, then one binary message per attachment. An EVENT or ACK
    /// with attachments goes out as BINARY_EVENT / BINARY_ACK (`51-[...]`), as the official encoder does.
    public func encode() -> [EngineMessage] {
        var header: [UInt8] = []
        header.reserveCapacity(64)
        encodeHeader(into: &header)
        if attachments.isEmpty { return [.text(header)] }
        var messages: [EngineMessage] = [.text(header)]
        messages.reserveCapacity(1 + attachments.count)
        for attachment in attachments { messages.append(.binary(attachment)) }
        return messages
    }

    /// The same, wrapped once for many recipients.
    public func encodeShared() -> [SharedEngineMessage] { encode().map(SharedEngineMessage.init) }

    /// The text part: type, `N-` for binary packets, `/nsp,` unless the namespace is `/`, the ack id, the JSON data.
    public func encodeHeader(into out: inout [UInt8]) {
        var type = self.type
        if !attachments.isEmpty {
            if type == .event { type = .binaryEvent } else if type == .ack { type = .binaryAck }
        }
        out.append(UInt8(ascii: "0") + type.rawValue)
        if type == .binaryEvent || type == .binaryAck {
            JSONWriter.appendInt(attachments.count, to: &out)
            out.append(UInt8(ascii: "-"))
        }
        if !nsp.isEmpty && nsp != "/" {
            out.append(contentsOf: nsp.utf8)
            out.append(UInt8(ascii: ","))
        }
        if let id { JSONWriter.appendInt(id, to: &out) }
        data?.serialize(into: &out)
    }

    /// `{"_placeholder":true,"num":N}`, in that key order.
    public static func placeholder(_ num: Int) -> JSONValue { EventArguments.placeholder(num) }
}

// MARK: Decoding

/// Why an incoming message was refused; the connection is then closed with "parse error". The messages are the official
/// parser's.
public struct SocketIOParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Turns Engine.IO messages into packets, reassembling a BINARY_EVENT / BINARY_ACK from the binary messages that follow its
/// text header. One per connection; loop-confined like it.
public struct SocketIODecoder {
    /// What every decoder of a server shares (one reference per connection instead of a copy).
    public final class Limits: Sendable {
        public let maxAttachments: Int
        public let jsonOptions: JSONParseOptions
        public init(maxAttachments: Int = 10, jsonOptions: JSONParseOptions = .default) {
            self.maxAttachments = maxAttachments
            self.jsonOptions = jsonOptions
        }
    }
    private let limits: Limits
    public var maxAttachments: Int { limits.maxAttachments }
    public var jsonOptions: JSONParseOptions { limits.jsonOptions }
    /// A binary packet waiting for its attachments; out of line, as a decoder lives as long as its connection and
    /// nearly always waits for nothing.
    private final class Reconstruction {
        var packet: SocketIOPacket
        let expectedAttachments: Int
        init(_ packet: SocketIOPacket, expectedAttachments: Int) {
            self.packet = packet
            self.expectedAttachments = expectedAttachments
        }
    }
    private var pending: Reconstruction?

    public init(maxAttachments: Int = 10, jsonOptions: JSONParseOptions = .default) {
        self.init(limits: Limits(maxAttachments: maxAttachments, jsonOptions: jsonOptions))
    }

    public init(limits: Limits) { self.limits = limits }

    /// True while a binary packet waits for attachments.
    public var isReconstructing: Bool { pending != nil }

    public mutating func reset() { pending = nil }

    /// Feeds one message; returns a packet when one is complete. BINARY_EVENT / BINARY_ACK come out as EVENT / ACK with
    /// their `attachments` filled in.
    public mutating func add(_ message: EngineMessage) throws(SocketIOParseError) -> SocketIOPacket? {
        switch message {
        case .text(let bytes):
            if pending != nil { throw SocketIOParseError("got plaintext data when reconstructing a packet") }
            var packet = try Self.decodeText(bytes, maxAttachments: maxAttachments, jsonOptions: jsonOptions)
            guard packet.type == .binaryEvent || packet.type == .binaryAck else { return packet }
            let count = packet.attachments.count  // decodeText leaves the announced count as empty placeholders
            packet.type = packet.type == .binaryEvent ? .event : .ack
            packet.attachments = []
            if count == 0 { return try Self.validated(packet) }
            packet.attachments.reserveCapacity(count)
            pending = Reconstruction(packet, expectedAttachments: count)
            return nil
        case .binary(let bytes):
            guard let reconstruction = pending else {
                throw SocketIOParseError("got binary data when not reconstructing a packet")
            }
            reconstruction.packet.attachments.append(bytes)
            if reconstruction.packet.attachments.count < reconstruction.expectedAttachments { return nil }
            reset()
            return try Self.validated(reconstruction.packet)
        }
    }

    /// Checks that every placeholder names an attachment that exists (`illegal attachments` otherwise).
    private static func validated(_ packet: SocketIOPacket) throws(SocketIOParseError) -> SocketIOPacket {
        if let data = packet.data { try checkPlaceholders(data, count: packet.attachments.count) }
        return packet
    }

    private static func checkPlaceholders(_ value: JSONValue, count: Int) throws(SocketIOParseError) {
        switch value {
        case .array(let elements):
            for element in elements { try checkPlaceholders(element, count: count) }
        case .object(let object):
            if object["_placeholder"] == .bool(true) {
                guard let num = object["num"], case .int(let n) = num, n >= 0, n < count else {
                    throw SocketIOParseError("illegal attachments")
                }
                return
            }
            for entry in object { try checkPlaceholders(entry.value, count: count) }
        default:
            return
        }
    }

    /// Decodes a text packet. For BINARY_* packets `attachments` comes back holding `N` empty arrays (the announced count).
    public static func decodeText(_ bytes: [UInt8], maxAttachments: Int = 10,
                                  jsonOptions: JSONParseOptions = .default) throws(SocketIOParseError) -> SocketIOPacket {
        // The error on the side and the packet moved out: a Result in between copied the packet twice per event
        // (`withUnsafeBytes` does not pass a typed error through).
        var failure: SocketIOParseError?
        let decoded = bytes.withUnsafeBytes { raw -> SocketIOPacket? in
            do throws(SocketIOParseError) {
                return try decodeText(raw, maxAttachments: maxAttachments, jsonOptions: jsonOptions)
            } catch {
                failure = error
                return nil
            }
        }
        guard let packet = consume decoded else { throw failure ?? SocketIOParseError("invalid payload") }
        return packet
    }

    static func decodeText(_ raw: UnsafeRawBufferPointer, maxAttachments: Int,
                           jsonOptions: JSONParseOptions) throws(SocketIOParseError) -> SocketIOPacket {
        let n = raw.count
        guard n > 0, raw[0] >= UInt8(ascii: "0"), let type = SocketIOPacketType(rawValue: raw[0] &- UInt8(ascii: "0")) else {
            throw SocketIOParseError("unknown packet type")
        }
        // Parts first, the packet made once at the end: filling a packet field by field copied it twice per event.
        var attachments: [[UInt8]] = []
        var nsp = "/"
        var id: Int?
        var data: JSONValue?
        var i = 1
        if type == .binaryEvent || type == .binaryAck {
            var count = 0
            let start = i
            while i < n, raw[i] != UInt8(ascii: "-") {
                let d = raw[i] &- UInt8(ascii: "0")
                guard d < 10, i - start < 6 else { throw SocketIOParseError("Illegal attachments") }
                count = count * 10 + Int(d)
                i += 1
            }
            guard i < n, i > start else { throw SocketIOParseError("Illegal attachments") }
            guard count <= maxAttachments else { throw SocketIOParseError("too many attachments") }
            i += 1  // the "-"
            attachments = Array(repeating: [], count: count)
        }
        if i < n, raw[i] == UInt8(ascii: "/") {
            let start = i
            while i < n, raw[i] != UInt8(ascii: ",") { i += 1 }
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: raw[start..<i]), as: UTF8.self) else {
                throw SocketIOParseError("invalid namespace")
            }
            nsp = name
            if i < n { i += 1 }  // the ","
        }
        if i < n, raw[i] &- UInt8(ascii: "0") < 10 {
            var number = 0
            let start = i
            while i < n, raw[i] &- UInt8(ascii: "0") < 10 {
                // Ack ids are JavaScript safe integers; longer digit runs are refused rather than rounded.
                guard i - start < 15 else { throw SocketIOParseError("invalid ack id") }
                number = number * 10 + Int(raw[i] &- UInt8(ascii: "0"))
                i += 1
            }
            id = number
        }
        if i < n {
            do {
                data = try JSONValue.parse(bytes: UnsafeRawBufferPointer(rebasing: raw[i..<n]), options: jsonOptions)
            } catch {
                throw SocketIOParseError("invalid payload")
            }
        }
        guard isPayloadValid(type, data) else { throw SocketIOParseError("invalid payload") }
        return SocketIOPacket(type: type, nsp: nsp, id: id, data: data, attachments: attachments)
    }

    /// The official rules, except that an EVENT must carry its array (the official parser lets `2` alone through).
    static func isPayloadValid(_ type: SocketIOPacketType, _ data: JSONValue?) -> Bool {
        switch type {
        case .connect:
            guard let data else { return true }
            if case .object = data { return true }
            return false
        case .disconnect:
            return data == nil
        case .connectError:
            switch data {
            case .string?, .object?: return true
            default: return false
            }
        case .event, .binaryEvent:
            guard case .array(let elements)? = data, let first = elements.first else { return false }
            switch first {
            case .int, .double: return true
            case .string(let name): return !SocketIOPacket.isReserved(name)
            default: return false
            }
        case .ack, .binaryAck:
            guard let data else { return true }
            if case .array = data { return true }
            return false
        }
    }
}
