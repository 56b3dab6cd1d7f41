import GatewayProtocol
import Glibc
import HTTP
import Synchronization
import WebSocket

/// One Engine.IO message: a `4` packet. Text is UTF-8; binary goes as a binary frame (WebSocket) or `b` + base64 (polling).
public enum EngineIOMessage: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])

    public static func text(_ string: String) -> EngineIOMessage { .text(Array(string.utf8)) }
}

/// What the client sent when it opened the session (the first request: polling handshake GET or WebSocket upgrade).
/// Kept for the session's life, so it is stored compactly: the fields in one buffer, the query read from `url` on demand.
public struct EngineIOHandshake: Sendable {
    public let headers: PackedHeaders
    public let remoteAddress: String
    public let isSecure: Bool
    /// The request target as sent (path and query).
    public let url: String
    /// Milliseconds since the Unix epoch when the session was opened.
    public let issuedMs: UInt64

    public init(headers: HTTPHeaders, remoteAddress: String, isSecure: Bool, url: String) {
        self.headers = PackedHeaders(headers)
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.url = url
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        issuedMs = UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }

    /// Query parameters, percent-decoded (`+` is a space), last value wins, as `URLSearchParams` → `Object.fromEntries`.
    public var query: [String: String] { HTTPQuery.parse(target: url) }
}

/// A refusal, in the official server's words: `{"code":N,"message":"…"}` with 400 (403 for code 4).
public struct EngineIOError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static let unknownTransport = EngineIOError(code: 0, message: "Transport unknown")
    public static let unknownSid = EngineIOError(code: 1, message: "Session ID unknown")
    public static let badHandshakeMethod = EngineIOError(code: 2, message: "Bad handshake method")
    public static let badRequest = EngineIOError(code: 3, message: "Bad request")
    public static let forbidden = EngineIOError(code: 4, message: "Forbidden")
    public static let unsupportedProtocolVersion = EngineIOError(code: 5, message: "Unsupported protocol version")

    /// 403 for `Forbidden` (code 4), 400 for everything else, as `abortRequest` in the official server.
    public var httpStatus: Int { code == 4 ? 403 : 400 }

    /// The JSON body, byte for byte as `JSON.stringify({code, message})`.
    public var jsonBody: [UInt8] {
        var out = Array("{\"code\":\(code),\"message\":".utf8)
        JSONWriter.appendString(message, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The HTTP response for a refused polling request.
    public var response: HTTPResponse {
        HTTPResponse(status: httpStatus, headers: ["Content-Type": "application/json"], body: jsonBody)
    }
}

public struct EngineIOConfiguration: Sendable {
    /// Where the server answers; normalised to end with `/` (the official `addTrailingSlash`).
    public var path: String
    public var pingIntervalMs: Int
    public var pingTimeoutMs: Int
    /// `maxHttpBufferSize`: largest POST body and largest WebSocket message.
    public var maxPayload: Int
    public var upgradeTimeoutMs: Int
    public var transports: [String]
    public var allowUpgrades: Bool
    /// permessage-deflate on the WebSocket transport; off by default, as in the official server.
    public var perMessageDeflate: Bool
    /// Compression of polling responses of 1 KB or more, when the client accepts gzip/deflate (done by the HTTP server's
    /// per-loop compressor, whose threshold is `HTTPServerConfiguration.compressionThresholdBytes`).
    public var httpCompression: Bool
    /// Whether a session keeps its handshake request's header fields and URL (`handshake.headers`, `url`, `query`), as
    /// the official server does. A server whose code above reads neither turns it off: a browser's headers are the
    /// largest part of an idle connection. The request is checked (`allowRequest`, CORS) before either way.
    public var keepsHandshakeRequest: Bool

    public init(path: String = "/socket.io/", pingIntervalMs: Int = 25_000, pingTimeoutMs: Int = 20_000,
                maxPayload: Int = 1_000_000, upgradeTimeoutMs: Int = 10_000, transports: [String] = ["polling", "websocket"],
                allowUpgrades: Bool = true, perMessageDeflate: Bool = false, httpCompression: Bool = true,
                keepsHandshakeRequest: Bool = true) {
        var p = path
        while p.hasSuffix("/") { p.removeLast() }
        self.path = p + "/"
        self.pingIntervalMs = pingIntervalMs
        self.pingTimeoutMs = pingTimeoutMs
        self.maxPayload = maxPayload
        self.upgradeTimeoutMs = upgradeTimeoutMs
        self.transports = transports
        self.allowUpgrades = allowUpgrades
        self.perMessageDeflate = perMessageDeflate
        self.httpCompression = httpCompression
        self.keepsHandshakeRequest = keepsHandshakeRequest
    }
}

/// A message encoded once for many sockets (broadcast): the WebSocket frame bytes (shared through
/// `PreparedWebSocketMessage`) and the polling encoding are computed once, and every recipient writes the same buffers.
public final class EngineIOPreparedMessage: Sendable {
    public let message: EngineIOMessage
    /// The message's size, counted once per recipient without reading the message.
    let payloadCount: Int
    /// Text: payload `4…`; binary: the raw bytes.
    let webSocket: PreparedWebSocketMessage
    /// Binary messages only: `b` + base64, built on first use by a polling recipient.
    private let base64Encoding = Mutex<[UInt8]?>(nil)

    public init(_ message: EngineIOMessage) {
        self.message = message
        payloadCount = message.payloadCount
        switch message {
        case .text(let utf8):
            var payload: [UInt8] = []
            payload.reserveCapacity(utf8.count + 1)
            payload.append(UInt8(ascii: "4"))
            payload.append(contentsOf: utf8)
            webSocket = PreparedWebSocketMessage(opcode: .text, payload: payload)
        case .binary(let bytes):
            webSocket = PreparedWebSocketMessage(opcode: .binary, payload: bytes)
        }
    }

    /// The packet as it appears inside a polling payload.
    var pollingEncoding: [UInt8] {
        switch message {
        case .text:
            return webSocket.payload
        case .binary(let bytes):
            if let cached = base64Encoding.withLock({ $0 }) { return cached }
            var out: [UInt8] = [UInt8(ascii: "b")]
            EngineIOBase64.encode(bytes, into: &out)
            return base64Encoding.withLock { cache in
                if let cached = cache { return cached }
                cache = out
                return out
            }
        }
    }
}



/// Engine.IO messages and payload bytes in each direction since the server started. Relaxed atomic adds: a few
/// nanoseconds per message, read only when metrics are scraped.
public final class EngineIOTraffic: Sendable {
    public let messagesIn = Atomic<Int>(0)
    public let messagesOut = Atomic<Int>(0)
    public let bytesIn = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)

    func countIn(_ message: EngineIOMessage) {
        messagesIn.wrappingAdd(1, ordering: .relaxed)
        bytesIn.wrappingAdd(message.payloadCount, ordering: .relaxed)
    }

    func countOut(_ message: EngineIOMessage) { countOut(textBytes: message.payloadCount) }

    func countOut(textBytes: Int) {
        messagesOut.wrappingAdd(1, ordering: .relaxed)
        bytesOut.wrappingAdd(textBytes, ordering: .relaxed)
    }
}

extension EngineIOMessage {
    var payloadCount: Int {
        switch self {
        case .text(let bytes), .binary(let bytes): return bytes.count
        }
    }
}
