import EventLoop
import Synchronization

/// An HTTP/1.1 server over an event-loop group: routes, CORS, compression, keep-alive, pipelining, upgrades, timeouts and
/// graceful shutdown. Routes are registered before `listen`; after that the table is read-only and shared by every loop.
public final class HTTPServer: @unchecked Sendable {
    public let group: EventLoopGroup
    public let configuration: HTTPServerConfiguration
    private var router = Router<HTTPRouteHandler>()
    /// Routes without parameters, by exact path then method: one hash lookup instead of the router's segment walk for
    /// the common case (`/healthz`, `/socket.io/`). Anything not found here (parameters, percent-escapes, a trailing
    /// slash, 405s) goes through the router, which remains the authority.
    private var exactRoutes: [Substring: [String: HTTPRouteHandler]] = [:]
    /// Answers requests no route matched (the HTTPS redirect listener uses it); nil gives 404/405.
    public var fallbackHandler: HTTPRouteHandler?
    public var upgradeHandler: HTTPUpgradeHandler?
    /// Per-loop state, indexed by loop index, touched only on its loop.
    let perLoop: [HTTPLoopResources]
    private let listeners = Mutex<[Listener]>([])
    private let started = Atomic<Bool>(false)

    public init(group: EventLoopGroup, configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
        self.group = group
        self.configuration = configuration
        perLoop = group.loops.map { _ in
            HTTPLoopResources(compressor: ResponseCompressor(minimumBytes: configuration.compressionThresholdBytes))
        }
    }

    public func route(_ method: String, _ pattern: String, _ handler: @escaping HTTPRouteHandler) {
        precondition(!started.load(ordering: .relaxed), "routes must be registered before listen()")
        router.add(method, pattern, handler)
        if !pattern.contains(":") && !pattern.contains("*") && !pattern.contains("%") {
            exactRoutes[pattern[...], default: [:]][method] = handler
        }
    }

    func match(method: String, path: Substring) -> RouteResult<HTTPRouteHandler> {
        if let handler = exactRoutes[path]?[method] { return .matched(RouteMatch(handler: handler, parameters: [:])) }
        return router.route(method: method, path: path)
    }

    /// Starts accepting on every loop of the group.
    @discardableResult
    public func listen(host: String, port: Int, options: ListenerOptions = ListenerOptions(),
                       counter: ConnectionCounter = ConnectionCounter(limit: 100_000)) throws(SystemError) -> Listener {
        started.store(true, ordering: .relaxed)
        let listener = try Listener(host: host, port: port, options: options, counter: counter)
        listeners.withLock { $0.append(listener) }
        let secure = options.tls != nil
        listener.start(on: group.loops) { [self] connection in
            let handler = HTTPServerConnection(server: self, connection: connection, isSecure: secure)
            connection.delegate = handler
        }
        return listener
    }

    /// Open HTTP connections on all loops (connections handed to an upgrade are no longer counted).
    public var openConnectionCount: Int { perLoop.reduce(0) { $0 + $1.connectionCount.load(ordering: .relaxed) } }

    /// The largest write buffer any one connection of this server has held, in bytes, sampled each time a response
    /// is queued (the only moment a buffer grows). For tests and diagnostics of backpressure: it must stay within
    /// `ConnectionLimits.maxBufferedBytes` even for clients that never read.
    public var peakBufferedBytes: Int { perLoop.map { $0.peakBufferedBytes.load(ordering: .relaxed) }.max() ?? 0 }

    /// Stops accepting, lets in-flight requests finish (their responses carry `Connection: close`), closes idle
    /// connections at once and forces the rest closed at the deadline. `completion` runs once every connection is gone.
    public func shutdown(deadlineMs: UInt64, completion: @escaping @Sendable () -> Void) {
        for listener in listeners.withLock({ $0 }) { listener.stop() }
        let drained = Countdown(group.loops.count, completion: completion)
        for loop in group.loops {
            let resources = perLoop[loop.index]
            loop.execute {
                resources.beginDrain(onDrained: drained.signal)
                loop.scheduleTimer(afterMs: deadlineMs) { resources.forceCloseAll() }
            }
        }
    }
}

/// What the server keeps per loop: the shared date header and compressor, and the live connections (for shutdown).
final class HTTPLoopResources: @unchecked Sendable {
    let dateCache = HTTPDateCache()
    let compressor: ResponseCompressor
    var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    let connectionCount = Atomic<Int>(0)
    /// See `HTTPServer.peakBufferedBytes`. Written on this loop only; read from anywhere.
    let peakBufferedBytes = Atomic<Int>(0)
    var draining = false
    var onDrained: (@Sendable () -> Void)?

    init(compressor: ResponseCompressor) { self.compressor = compressor }

    func add(_ connection: HTTPServerConnection) {
        connections[ObjectIdentifier(connection)] = connection
        connectionCount.store(connections.count, ordering: .relaxed)
    }

    func remove(_ connection: HTTPServerConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        connectionCount.store(connections.count, ordering: .relaxed)
        if draining && connections.isEmpty, let onDrained {
            self.onDrained = nil
            onDrained()
        }
    }

    func beginDrain(onDrained: @escaping @Sendable () -> Void) {
        draining = true
        self.onDrained = onDrained
        for connection in Array(connections.values) { connection.beginDrain() }
        if connections.isEmpty, let callback = self.onDrained {
            self.onDrained = nil
            callback()
        }
    }

    func notePeak(bufferedBytes: Int) {
        if bufferedBytes > peakBufferedBytes.load(ordering: .relaxed) { peakBufferedBytes.store(bufferedBytes, ordering: .relaxed) }
    }

    func forceCloseAll() {
        for connection in Array(connections.values) { connection.connection.closeNow() }
    }
}
