import EventLoop
import HTTP
import Synchronization

/// WebSocket endpoints on an `HTTPServer`: a path → handler table consulted by the HTTP server's upgrade hook.
///
/// Register endpoints, then `install(on:)` the server before the HTTP server listens. An upgrade request for a registered
/// path is answered here (101, or 400/403/426 and close); any other request is left to HTTP.
public final class WebSocketServer: Sendable {
    public struct Endpoint: Sendable {
        public var configuration: WebSocketConfiguration
        public var options: WebSocketSessionOptions
        /// Gets the `Origin` header (nil when absent, as from non-browser clients); false answers 403.
        public var allowOrigin: (@Sendable (String?) -> Bool)?
        /// Gets the client's subprotocols in preference order; returns one of them, or nil for none.
        public var selectSubprotocol: (@Sendable ([String]) -> String?)?
        /// Runs on the connection's loop right after the 101 is queued; set the session's callbacks here.
        public var onOpen: @Sendable (WebSocketSession) -> Void
        /// Shared by the endpoint's connections that negotiated no compression.
        let uncompressed: WebSocketEngineSettings
    }

    public let group: EventLoopGroup
    private let endpoints = Mutex<[String: Endpoint]>([:])
    private let perLoop: [WebSocketLoopSessions]

    public init(group: EventLoopGroup) {
        self.group = group
        perLoop = group.loops.map { _ in WebSocketLoopSessions() }
    }

    /// Adds an endpoint at exactly `path` (no query, no pattern). Replaces an earlier one at the same path.
    public func register(path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
                         options: WebSocketSessionOptions = WebSocketSessionOptions(),
                         allowOrigin: (@Sendable (String?) -> Bool)? = nil,
                         selectSubprotocol: (@Sendable ([String]) -> String?)? = nil,
                         onOpen: @escaping @Sendable (WebSocketSession) -> Void) {
        let endpoint = Endpoint(configuration: configuration, options: options, allowOrigin: allowOrigin,
                                selectSubprotocol: selectSubprotocol, onOpen: onOpen,
                                uncompressed: WebSocketEngineSettings(configuration: configuration, negotiated: nil))
        endpoints.withLock { $0[path] = endpoint }
    }

    public var registeredPaths: [String] { endpoints.withLock { Array($0.keys) }.sorted() }

    /// Hooks into `http` (call before `listen`): upgrades to registered paths are taken here, others go to whatever
    /// upgrade handler was installed before. A plain GET to a registered path gets 426 Upgrade Required.
    public func install(on http: HTTPServer) {
        let previous = http.upgradeHandler
        http.upgradeHandler = { [self] request, connection, remaining in
            if handleUpgrade(request, connection: connection, remainingBytes: remaining) { return true }
            return previous?(request, connection, remaining) ?? false
        }
        for path in registeredPaths {
            http.route("GET", path) { context in
                var response = HTTPResponse.error(426, "this endpoint only speaks WebSocket")
                response.headers.add("Upgrade", "websocket")
                response.headers.add("Sec-WebSocket-Version", "13")
                context.respond(response)
            }
        }
    }

    /// The upgrade hook itself (an `HTTPUpgradeHandler`); runs on the connection's loop. False: not ours.
    public func handleUpgrade(_ request: HTTPRequest, connection: Connection, remainingBytes: [UInt8]) -> Bool {
        guard request.headers.containsToken("Upgrade", "websocket"),
              let endpoint = endpoints.withLock({ $0[String(request.path)] }) else { return false }
        let resources = perLoop[connection.loop.index]
        if let allowOrigin = endpoint.allowOrigin, !allowOrigin(request.headers["Origin"]) {
            refuse(connection, .error(403, "origin not allowed"), resources: resources)
            return true
        }
        let result = WebSocketHandshake.server(request: request.head, configuration: endpoint.configuration,
                                               selectSubprotocol: endpoint.selectSubprotocol ?? { _ in nil })
        switch result {
        case .reject(let response):
            refuse(connection, response, resources: resources)
        case .accept(let acceptance):
            let settings = acceptance.deflate.map { WebSocketEngineSettings(configuration: endpoint.configuration, negotiated: $0) }
            let engine = WebSocketProtocolEngine(role: .server, settings: settings ?? endpoint.uncompressed)
            let session = WebSocketSession(connection: connection, engine: engine, subprotocol: acceptance.subprotocol,
                                           options: endpoint.options)
            connection.delegate = session
            var out: [UInt8] = []
            HTTPResponseEncoder.encode(acceptance.response, keepAlive: true, date: resources.dateCache.current(), into: &out)
            connection.write(out)
            resources.add(session)
            if resources.closing { session.close(code: WebSocketCloseCode.goingAway, reason: "server shutting down") }
            endpoint.onOpen(session)
            if !remainingBytes.isEmpty { remainingBytes.withUnsafeBytes { session.receive($0) } }
        }
        return true
    }

    private func refuse(_ connection: Connection, _ original: HTTPResponse, resources: WebSocketLoopSessions) {
        var response = original
        response.headers.set("Connection", "close")
        var out: [UInt8] = []
        HTTPResponseEncoder.encode(response, keepAlive: false, date: resources.dateCache.current(), into: &out)
        connection.delegate = DiscardingDelegate()
        connection.write(out)
        connection.close()
    }

    /// Open sessions on all loops.
    public var openSessionCount: Int { perLoop.reduce(0) { $0 + $1.count.load(ordering: .relaxed) } }

    /// Sends Close (1001) to every session; `completion` runs when all are gone, at the latest after `deadlineMs`
    /// (stragglers are dropped). New upgrades during shutdown are closed right after their 101.
    public func shutdown(deadlineMs: UInt64, completion: @escaping @Sendable () -> Void) {
        let closed = Countdown(group.loops.count, completion: completion)
        for loop in group.loops {
            let sessions = perLoop[loop.index]
            loop.execute {
                sessions.beginClosing(onEmpty: closed.signal)
                loop.scheduleTimer(afterMs: deadlineMs) { sessions.abortAll() }
            }
        }
    }
}

/// The sessions of one loop, touched only on that loop (the count is read from anywhere). A doubly linked list through
/// the sessions (`registryNext`/`registryPrevious`): no table entry and no callback object per session.
final class WebSocketLoopSessions: @unchecked Sendable {
    let dateCache = HTTPDateCache()
    private var head: WebSocketSession?
    private var sessionCount = 0
    let count = Atomic<Int>(0)
    var closing = false
    private var onEmpty: (@Sendable () -> Void)?

    func add(_ session: WebSocketSession) {
        session.registry = self
        session.registryNext = head
        head?.registryPrevious = session
        head = session
        sessionCount += 1
        count.store(sessionCount, ordering: .relaxed)
    }

    /// Called once by a finished session.
    func remove(_ session: WebSocketSession) {
        let next = session.registryNext, previous = session.registryPrevious
        if let previous { previous.registryNext = next } else { head = next }
        next?.registryPrevious = previous
        session.registryNext = nil
        session.registryPrevious = nil
        session.registry = nil
        sessionCount -= 1
        count.store(sessionCount, ordering: .relaxed)
        if sessionCount == 0, let onEmpty {
            self.onEmpty = nil
            onEmpty()
        }
    }

    private var all: [WebSocketSession] {
        var sessions: [WebSocketSession] = []
        sessions.reserveCapacity(sessionCount)
        var next = head
        while let session = next {
            sessions.append(session)
            next = session.registryNext
        }
        return sessions
    }

    func beginClosing(onEmpty: @escaping @Sendable () -> Void) {
        closing = true
        self.onEmpty = onEmpty
        for session in all {
            session.close(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        }
        if sessionCount == 0, let callback = self.onEmpty {
            self.onEmpty = nil
            callback()
        }
    }

    func abortAll() {
        for session in all { session.abort() }
    }
}

/// Sits on a connection that is only being closed after a refusal: ignores whatever the peer still sends.
final class DiscardingDelegate: ConnectionDelegate {
    func connectionDidBecomeActive(_ connection: Connection) {}
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {}
}
