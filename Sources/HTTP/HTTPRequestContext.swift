import EventLoop

/// One request being answered. Lives on the connection's loop; `respond` must be called exactly once, on that loop
/// (from another thread, use `respondFromAnyThread`).
public final class HTTPRequestContext {
    public let request: HTTPRequest
    /// Values of the route's `:name` segments.
    public let parameters: [String: String]
    public let remoteAddress: String
    public let isSecure: Bool
    public let loop: EventLoop
    let sequence: Int
    private weak var connection: HTTPServerConnection?
    public private(set) var isAnswered = false

    init(request: HTTPRequest, parameters: [String: String], remoteAddress: String, isSecure: Bool, loop: EventLoop,
         sequence: Int, connection: HTTPServerConnection) {
        self.request = request
        self.parameters = parameters
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.loop = loop
        self.sequence = sequence
        self.connection = connection
    }

    public func respond(_ response: HTTPResponse) {
        precondition(!isAnswered, "a request was answered twice: \(request.method) \(request.path)")
        isAnswered = true
        connection?.deliver(response, for: self)
    }

    /// For handlers that finish on another thread (storage, outbound HTTP): hops back to the connection's loop.
    public func respondFromAnyThread(_ response: HTTPResponse) {
        let box = LoopBound(self, loop: loop)
        loop.execute { box.value.respond(response) }
    }
}


public typealias HTTPRouteHandler = @Sendable (HTTPRequestContext) -> Void

/// Takes over a connection whose request asked to upgrade (WebSocket). Returns false to let the request be routed as usual.
/// `remainingBytes` are the bytes that followed the request and belong to the new protocol.
public typealias HTTPUpgradeHandler = @Sendable (_ request: HTTPRequest, _ connection: Connection, _ remainingBytes: [UInt8]) -> Bool
