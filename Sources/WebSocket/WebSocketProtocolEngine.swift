public struct WebSocketConfiguration: Sendable {
    /// Largest message accepted, after reassembly and after inflation. More -> close 1009.
    public var maxMessageBytes: Int = 1_000_000
    /// nil: permessage-deflate is not negotiated.
    public var compression: PerMessageDeflateConfiguration? = nil

    public init(maxMessageBytes: Int = 1_000_000, compression: PerMessageDeflateConfiguration? = nil) {
        self.maxMessageBytes = maxMessageBytes
        self.compression = compression
    }
}

public enum WebSocketRole: Sendable { case server, client }

public enum WebSocketEvent: Sendable, Equatable {
    /// A complete text message, already validated as UTF-8.
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// The peer's Close frame. `code` is nil when it carried no payload.
    case close(code: UInt16?, reason: String)
}

public enum WebSocketReceiveOutcome: Sendable, Equatable {
    case ok
    /// The peer's Close arrived (and was reported as an event). If we had not sent one, the reply is queued in
    /// `takeOutput()`. Either way the WebSocket is closed: write the output, then close TCP (server role;
    /// a client should wait a moment for the server to do it, §7.1.1).
    case closed(code: UInt16?)
    /// We failed the connection (§7.1.7): a Close with `code` is queued (unless we had already sent one).
    /// Write the output, then close TCP.
    case failed(code: UInt16)
}

public enum WebSocketState: Sendable, Equatable {
    case open
    /// We sent a Close and wait for the peer's.
    case closing
    /// Close frames exchanged, or the connection failed. Input is ignored, nothing more is encoded.
    case closed
}

/// What an engine is configured with for its life.
final class WebSocketEngineSettings: Sendable {
    let configuration: WebSocketConfiguration
    let negotiated: NegotiatedDeflate?
    let deflateConfig: PerMessageDeflateConfiguration

    init(configuration: WebSocketConfiguration, negotiated: NegotiatedDeflate?) {
        self.configuration = configuration
        self.negotiated = negotiated
        deflateConfig = configuration.compression ?? PerMessageDeflateConfiguration()
    }
}

/// One connection's RFC 6455 state machine, bytes in and bytes out. Not thread-safe: confine to one loop.
///
/// Ordering contract for callers: after `receive`, write `takeOutput()` before anything encoded later, and
/// write encoded messages in the order they were encoded (with context takeover the compressor's history
/// follows that order).
public final class WebSocketProtocolEngine {
    public let role: WebSocketRole
    /// Out of line: the settings are as large as the rest of the engine, and every connection of an endpoint that
    /// negotiated no compression shares one copy.
    let settings: WebSocketEngineSettings
    public var configuration: WebSocketConfiguration { settings.configuration }
    public var negotiated: NegotiatedDeflate? { settings.negotiated }
    public internal(set) var state: WebSocketState = .open

    var deflateConfig: PerMessageDeflateConfiguration { settings.deflateConfig }
    private var parser = WebSocketFrameParser()
    private var output: [UInt8] = []

    // Current frame.
    private var frameOpcode: WebSocketOpcode = .continuation
    private var frameFin = false
    private var frameMask: UInt32? = nil
    private var control: [UInt8] = []

    // Current data message; `messageOpcode` is non-nil between its first frame and its FIN.
    private var messageOpcode: WebSocketOpcode? = nil
    private var messageCompressed = false
    private var message: [UInt8] = []
    private var compressedBytes = 0
    private var utf8 = UTF8Validator()

    // Created on first use, dropped after each message when there is no context to keep (memory: see DeflateCodec).
    var compressor: DeflateCompressor? = nil
    private var decompressor: DeflateDecompressor? = nil

    public convenience init(role: WebSocketRole, configuration: WebSocketConfiguration, negotiated: NegotiatedDeflate?) {
        self.init(role: role, settings: WebSocketEngineSettings(configuration: configuration, negotiated: negotiated))
    }

    init(role: WebSocketRole, settings: WebSocketEngineSettings) {
        self.role = role
        self.settings = settings
    }

    /// Compressed payload allowed per message: a peer may send incompressible data deflated, which grows by
    /// a few bytes per 64 KB block and per flush, so allow a little over the decompressed limit.
    private var compressedLimit: Int { configuration.maxMessageBytes + configuration.maxMessageBytes / 256 + 256 }

    // MARK: - Receiving

    /// Feeds received bytes; `onEvent` is called per complete message or control frame. Pongs for pings and
    /// the reply to a Close are queued for `takeOutput()`. Once the state is `.closed`, input is ignored.
    public func receive(_ bytes: UnsafeRawBufferPointer, onEvent: (WebSocketEvent) -> Void) -> WebSocketReceiveOutcome {
        guard state != .closed else { return .ok }
        var offset = 0
        while true {
            switch parser.next(bytes, offset: &offset) {
            case .needMore:
                return .ok
            case .invalidLength:
                return fail(WebSocketCloseCode.protocolError)
            case .header(let header):
                if let code = beginFrame(header) { return fail(code) }
            case .payload(let piece, let phase):
                if let code = framePayload(piece, phase: phase) { return fail(code) }
            case .frameEnd:
                if let outcome = endFrame(onEvent) { return outcome }
            }
        }
    }

    public func receive(_ bytes: [UInt8], onEvent: (WebSocketEvent) -> Void) -> WebSocketReceiveOutcome {
        bytes.withUnsafeBytes { receive($0, onEvent: onEvent) }
    }

    /// Bytes to write to the peer (pongs, close frames), or nil.
    public func takeOutput() -> [UInt8]? {
        if output.isEmpty { return nil }
        defer { output = [] }
        return output
    }

    /// Returns a close code to fail with, or nil.
    private func beginFrame(_ h: WebSocketFrameHeader) -> UInt16? {
        let protocolError = WebSocketCloseCode.protocolError
        if h.rsv2 || h.rsv3 { return protocolError }
        guard let opcode = WebSocketOpcode(rawValue: h.opcode) else { return protocolError }
        // §5.1: clients must mask, servers must not.
        if (role == .server) != (h.maskKey != nil) { return protocolError }
        if opcode.isControl {
            if !h.fin || h.payloadLength > 125 || h.rsv1 { return protocolError }
            control.removeAll(keepingCapacity: true)
        } else if opcode == .continuation {
            // RSV1 marks a compressed message on its first frame only (RFC 7692 §6.1).
            if messageOpcode == nil || h.rsv1 { return protocolError }
        } else {
            if messageOpcode != nil { return protocolError }
            if h.rsv1 && negotiated == nil { return protocolError }
            messageOpcode = opcode
            messageCompressed = h.rsv1
            compressedBytes = 0
            utf8.reset()
        }
        if !opcode.isControl {
            // Refuse on the announced length, before any of it is buffered.
            if messageCompressed {
                if UInt64(compressedBytes) + h.payloadLength > UInt64(compressedLimit) { return WebSocketCloseCode.messageTooBig }
                compressedBytes += Int(h.payloadLength)
            } else if UInt64(message.count) + h.payloadLength > UInt64(configuration.maxMessageBytes) {
                return WebSocketCloseCode.messageTooBig
            }
        }
        frameOpcode = opcode
        frameFin = h.fin
        frameMask = h.maskKey
        return nil
    }

    private func framePayload(_ piece: UnsafeRawBufferPointer, phase: Int) -> UInt16? {
        if frameOpcode.isControl {
            appendUnmasked(piece, phase: phase, to: &control)
            return nil
        }
        let start = message.count
        if messageCompressed {
            guard let inflater = inflater() else { return WebSocketCloseCode.internalError }
            let failure: DeflateDecompressor.Failure?
            if let key = frameMask {
                failure = withUnsafeTemporaryAllocation(byteCount: piece.count, alignment: 8) { scratch in
                    scratch.copyMemory(from: piece)
                    WebSocketFrame.applyMask(key: key, phase: phase, to: scratch)
                    return inflater.inflate(UnsafeRawBufferPointer(scratch), into: &message, limit: configuration.maxMessageBytes)
                }
            } else {
                failure = inflater.inflate(piece, into: &message, limit: configuration.maxMessageBytes)
            }
            if let failure { return failure == .tooBig ? WebSocketCloseCode.messageTooBig : WebSocketCloseCode.invalidPayloadData }
        } else {
            appendUnmasked(piece, phase: phase, to: &message)
        }
        return validateText(from: start)
    }

    private func endFrame(_ onEvent: (WebSocketEvent) -> Void) -> WebSocketReceiveOutcome? {
        if frameOpcode.isControl { return handleControl(onEvent) }
        guard frameFin, let opcode = messageOpcode else { return nil }
        if messageCompressed {
            guard let inflater = inflater() else { return fail(WebSocketCloseCode.internalError) }
            let start = message.count
            if let failure = inflater.finishMessage(into: &message, limit: configuration.maxMessageBytes) {
                return fail(failure == .tooBig ? WebSocketCloseCode.messageTooBig : WebSocketCloseCode.invalidPayloadData)
            }
            if negotiated?.receiving(role: role).noContextTakeover ?? true { decompressor = nil }
            if let code = validateText(from: start) { return fail(code) }
        }
        // A code point cut off by the end of the message is as invalid as a bad byte.
        if opcode == .text && !utf8.isAtBoundary { return fail(WebSocketCloseCode.invalidPayloadData) }
        let payload = message
        message = []
        messageOpcode = nil
        onEvent(opcode == .text ? .text(payload) : .binary(payload))
        return nil
    }

    private func handleControl(_ onEvent: (WebSocketEvent) -> Void) -> WebSocketReceiveOutcome? {
        switch frameOpcode {
        case .ping:
            onEvent(.ping(control))
            // Nothing may follow our Close, not even a pong.
            if state == .open { control.withUnsafeBytes { queueFrame(.pong, payload: $0) } }
            return nil
        case .pong:
            onEvent(.pong(control))
            return nil
        case .close:
            var code: UInt16? = nil
            var reason = ""
            if control.count == 1 { return fail(WebSocketCloseCode.protocolError) }
            if control.count >= 2 {
                let c = UInt16(control[0]) << 8 | UInt16(control[1])
                guard WebSocketCloseCode.isValidOnWire(c) else { return fail(WebSocketCloseCode.protocolError) }
                let reasonBytes = Array(control[2...])
                guard UTF8Validator.isValid(reasonBytes) else { return fail(WebSocketCloseCode.invalidPayloadData) }
                code = c
                reason = String(decoding: reasonBytes, as: UTF8.self)
            }
            onEvent(.close(code: code, reason: reason))
            if state == .open {
                // Echo the code (§5.5.1); an empty Close is answered with an empty one.
                if let code {
                    let be = [UInt8(code >> 8), UInt8(code & 0xFF)]
                    be.withUnsafeBytes { queueFrame(.close, payload: $0) }
                } else {
                    queueFrame(.close, payload: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
            shutDown()
            return .closed(code: code)
        default:
            return nil
        }
    }

    private func fail(_ code: UInt16) -> WebSocketReceiveOutcome {
        if state == .open {
            let be = [UInt8(code >> 8), UInt8(code & 0xFF)]
            be.withUnsafeBytes { queueFrame(.close, payload: $0) }
        }
        shutDown()
        return .failed(code: code)
    }

    private func shutDown() {
        state = .closed
        message = []
        control = []
        messageOpcode = nil
        compressor = nil
        decompressor = nil
    }

    private func inflater() -> DeflateDecompressor? {
        if let d = decompressor { return d }
        guard let negotiated else { return nil }
        decompressor = DeflateDecompressor(windowBits: negotiated.receiving(role: role).windowBits)
        return decompressor
    }

    /// Validates text bytes appended since `start`; fails fast, mid-frame if need be.
    private func validateText(from start: Int) -> UInt16? {
        guard messageOpcode == .text, message.count > start else { return nil }
        let ok = message.withUnsafeBytes { utf8.validate(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        return ok ? nil : WebSocketCloseCode.invalidPayloadData
    }

    private func appendUnmasked(_ piece: UnsafeRawBufferPointer, phase: Int, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: piece)
        if let key = frameMask {
            buffer.withUnsafeMutableBytes {
                WebSocketFrame.applyMask(key: key, phase: phase, to: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
            }
        }
    }

    private func queueFrame(_ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) {
        WebSocketFrame.append(to: &output, opcode: opcode, payload: payload, maskKey: newMaskKey())
    }

    /// Client frames get a fresh unpredictable key each (§5.3); server frames are unmasked.
    func newMaskKey() -> UInt32? {
        role == .client ? UInt32.random(in: .min ... .max) : nil
    }
}
