import EventLoop
import HTTP

public enum WebSocketClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case connectFailed(String)
    /// The server answered, but not with an acceptable 101.
    case handshake(WebSocketHandshakeError)
    case invalidResponse(String)
    /// The connection ended before the handshake completed.
    case closed(String)
    case timedOut

    public var description: String {
        switch self {
        case .connectFailed(let why): "connect failed: \(why)"
        case .handshake(let error): "handshake refused: \(error)"
        case .invalidResponse(let why): "invalid handshake response: \(why)"
        case .closed(let why): "connection closed during the handshake: \(why)"
        case .timedOut: "handshake timed out"
        }
    }
}

/// Outgoing WebSockets (tests, load tools, node-to-node links): the same `WebSocketSession` as the server side, in client
/// role (frames masked, `Sec-WebSocket-Accept` checked, permessage-deflate offered when configured).
public enum WebSocketClient {
    /// Connects to `ws(s)://host:port/path`. Call on `loop`; `completion` runs there exactly once, with the open session
    /// (set its callbacks in the completion: messages that arrived with the 101 are delivered right after it returns).
    /// `host` should be numeric when called on a busy loop: name resolution blocks.
    public static func connect(
        host: String, port: Int, path: String = "/", tls: TLSClientContext? = nil, serverName: String? = nil,
        configuration: WebSocketConfiguration = WebSocketConfiguration(), subprotocols: [String] = [],
        headers: HTTPHeaders = HTTPHeaders(), options: WebSocketSessionOptions = WebSocketSessionOptions(),
        limits: ConnectionLimits = ConnectionLimits(), handshakeTimeoutMs: UInt64 = 10_000,
        on loop: EventLoop, completion: @escaping (Result<WebSocketSession, WebSocketClientError>) -> Void
    ) {
        let defaultPort = tls == nil ? 80 : 443
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort ? "" : ":\(port)")
        let handshake = WebSocketClientHandshake(host: hostHeader, target: path, subprotocols: subprotocols,
                                                 configuration: configuration, extraHeaders: headers)
        let handshaker = WebSocketClientHandshaker(handshake: handshake, configuration: configuration, options: options,
                                                   completion: completion)
        handshaker.armTimeout(on: loop, afterMs: handshakeTimeoutMs)
        Connection.connect(host: host, port: port, on: loop, limits: limits, tls: tls, serverName: serverName,
                           delegate: handshaker) { result in
            if case .failure(let error) = result { handshaker.finish(.failure(.connectFailed(error.description))) }
        }
    }
}

/// The connection's delegate until the 101 arrives: writes the request, reads the response head, then hands the
/// connection to a `WebSocketSession`.
final class WebSocketClientHandshaker: ConnectionDelegate {
    let handshake: WebSocketClientHandshake
    let configuration: WebSocketConfiguration
    let options: WebSocketSessionOptions
    private var completion: ((Result<WebSocketSession, WebSocketClientError>) -> Void)?
    private var buffer: [UInt8] = []
    private var connection: Connection?
    private var timer: LoopTimer?
    private var loop: EventLoop?
    static let maxResponseHeadBytes = 16 * 1024

    init(handshake: WebSocketClientHandshake, configuration: WebSocketConfiguration, options: WebSocketSessionOptions,
         completion: @escaping (Result<WebSocketSession, WebSocketClientError>) -> Void) {
        self.handshake = handshake
        self.configuration = configuration
        self.options = options
        self.completion = completion
    }

    func armTimeout(on loop: EventLoop, afterMs: UInt64) {
        self.loop = loop
        timer = loop.scheduleTimer(afterMs: afterMs) { [weak self] in
            guard let self, self.completion != nil else { return }
            self.finish(.failure(.timedOut))
            self.connection?.closeNow()
        }
    }

    func finish(_ result: Result<WebSocketSession, WebSocketClientError>) {
        guard let completion else { return }
        self.completion = nil
        if let timer, timer.isArmed { loop?.cancel(timer) }
        timer = nil
        completion(result)
    }

    func connectionDidBecomeActive(_ connection: Connection) {
        self.connection = connection
        connection.write(Self.encode(handshake.requestHead))
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        buffer.append(contentsOf: bytes)
        guard let end = Self.headEnd(buffer) else {
            if buffer.count > Self.maxResponseHeadBytes { fail(connection, .invalidResponse("response head too large")) }
            return
        }
        guard let (status, headers) = Self.parseHead(buffer[..<end]) else {
            fail(connection, .invalidResponse("malformed response head"))
            return
        }
        let agreed: (subprotocol: String?, deflate: NegotiatedDeflate?)
        do { agreed = try handshake.validate(status: status, headers: headers) } catch {
            fail(connection, .handshake(error))
            return
        }
        let engine = WebSocketProtocolEngine(role: .client, configuration: configuration, negotiated: agreed.deflate)
        let session = WebSocketSession(connection: connection, engine: engine, subprotocol: agreed.subprotocol,
                                       options: options)
        connection.delegate = session
        let leftover = Array(buffer[(end + 4)...])
        buffer = []
        finish(.success(session))
        if !leftover.isEmpty { leftover.withUnsafeBytes { session.receive($0) } }
    }

    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {
        finish(.failure(self.connection == nil ? .connectFailed(reason.description) : .closed(reason.description)))
    }

    private func fail(_ connection: Connection, _ error: WebSocketClientError) {
        finish(.failure(error))
        connection.closeNow()
    }

    static func encode(_ head: HTTPRequestHead) -> [UInt8] {
        var out = Array("\(head.method) \(head.target) HTTP/1.1\r\n".utf8)
        for field in head.headers {
            out += field.name.utf8
            out += ": ".utf8
            out += field.value.utf8.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 }
            out += "\r\n".utf8
        }
        out += "\r\n".utf8
        return out
    }

    /// Index of the CRLFCRLF that ends the head, or nil.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Status line and fields of a response head (without the final CRLFCRLF). Lenient on whitespace, strict on shape.
    static func parseHead(_ head: ArraySlice<UInt8>) -> (Int, HTTPHeaders)? {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            return nil
        }
        var headers = HTTPHeaders()
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(" ") else { return nil }
            var value = line[line.index(after: colon)...]
            while value.first == " " || value.first == "\t" { value.removeFirst() }
            while value.last == " " || value.last == "\t" { value.removeLast() }
            headers.add(String(name), String(value))
        }
        return (status, headers)
    }
}
