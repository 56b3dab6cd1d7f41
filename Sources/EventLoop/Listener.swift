import CLinux
import Glibc
import Synchronization

/// What a listener gives each accepted connection: where it lives, its TLS, its limits.
public struct ListenerOptions: Sendable {
    public var connectionLimits: ConnectionLimits
    public var tls: TLSReloadableContext?
    public var backlog: Int32
    public init(connectionLimits: ConnectionLimits = ConnectionLimits(), tls: TLSReloadableContext? = nil, backlog: Int32 = 1024) {
        self.connectionLimits = connectionLimits
        self.tls = tls
        self.backlog = backlog
    }
}

/// A listening TCP socket shared by several loops. Each loop registers it with `EPOLLEXCLUSIVE`, so the kernel wakes one loop
/// per incoming connection and that loop owns the connection for life — one bind, no hand-off between threads, and no
/// `SO_REUSEPORT` that would let a second process silently share the port.
public final class Listener: Sendable {
    public let fd: Int32
    public let port: Int
    public let host: String
    private let options: ListenerOptions
    fileprivate let connectionLimits: ConnectionLimits.Shared
    private let counter: ConnectionCounter
    private let loops: Mutex<[EventLoop]>
    private let acceptors = Mutex<Int>(0)
    private let cursor = Atomic<Int>(0)
    fileprivate let stopped = Atomic<Bool>(false)

    /// Binds and listens. Blocking name resolution: call at start-up.
    public init(host: String, port: Int, options: ListenerOptions = ListenerOptions(), counter: ConnectionCounter) throws(SystemError) {
        let fd = try SocketAddress.withResolved(host: host, port: port, passive: true) { address, length, family throws(SystemError) -> Int32 in
            let fd = clinux_socket_nonblocking(family, Int32(SOCK_STREAM.rawValue))
            guard fd >= 0 else { throw SystemError("socket") }
            SocketAddress.setOption(fd, SOL_SOCKET, SO_REUSEADDR)
            guard bind(fd, address, length) == 0 else {
                let err = SystemError("bind(\(host):\(port))")
                Glibc.close(fd)
                throw err
            }
            guard Glibc.listen(fd, options.backlog) == 0 else {
                let err = SystemError("listen(\(host):\(port))")
                Glibc.close(fd)
                throw err
            }
            return fd
        }
        self.fd = fd
        self.host = host
        self.port = SocketAddress.localPort(of: fd)
        self.options = options
        connectionLimits = ConnectionLimits.Shared(options.connectionLimits)
        self.counter = counter
        self.loops = Mutex([])
    }

    /// Starts accepting on each loop. `onAccept` runs on the connection's loop and must set its delegate.
    public func start(on loops: [EventLoop], onAccept: @escaping @Sendable (Connection) -> Void) {
        self.loops.withLock { $0 = loops }
        acceptors.withLock { $0 = loops.count }
        for loop in loops {
            loop.execute { [self] in
                let acceptor = Acceptor(listener: self, loop: loop, onAccept: onAccept)
                do { try loop.register(fd, interest: [.readable, .exclusive], handler: acceptor) } catch {
                    Log.error("listener_register_failed", ["error": "\(error)"])
                }
            }
        }
    }

    /// Stops accepting on every loop, then closes the socket. Established connections are not touched.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        let loops = self.loops.withLock { $0 }
        guard !loops.isEmpty else { Glibc.close(fd); return }
        for loop in loops {
            loop.execute { [self] in
                loop.unregister(fd)
                let remaining = acceptors.withLock { count -> Int in
                    count -= 1
                    return count
                }
                if remaining == 0 { Glibc.close(fd) }
            }
        }
    }

    /// The loop that gets the next connection: round-robin, so that connections spread evenly even when the kernel keeps
    /// waking the same idle loop.
    fileprivate func nextLoop() -> EventLoop? {
        let loops = self.loops.withLock { $0 }
        guard !loops.isEmpty else { return nil }
        return loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    fileprivate var acceptOptions: ListenerOptions { options }
    fileprivate var connectionCounter: ConnectionCounter { counter }
}

/// The listener's presence on one loop.
private final class Acceptor: IOHandler {
    let listener: Listener
    let loop: EventLoop
    let onAccept: @Sendable (Connection) -> Void
    var pausedUntilMs: UInt64 = 0
    var lastLimitLogMs: UInt64 = 0

    init(listener: Listener, loop: EventLoop, onAccept: @escaping @Sendable (Connection) -> Void) {
        self.listener = listener
        self.loop = loop
        self.onAccept = onAccept
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        // Bounded per wake-up so that a connection storm cannot starve established connections on this loop.
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { clinux_accept4(listener.fd, $0, &length) }
            }
            if fd < 0 {
                let err = clinux_errno()
                switch err {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: the pending connection stays in the backlog and the socket stays readable, so
                    // polling again at once would spin at 100% CPU. Step back from accepting for a moment instead.
                    backOff(reason: SystemError("accept4", errno: err).description)
                    return
                default:
                    Log.error("accept_failed", ["error": SystemError("accept4", errno: err).description])
                    return
                }
            }
            let remote = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress.describe($0) }
            }
            guard listener.connectionCounter.acquire() else {
                Glibc.close(fd)
                if loop.nowMs - lastLimitLogMs > 5_000 {
                    lastLimitLogMs = loop.nowMs
                    Log.warning("connection_limit_reached", ["limit": listener.connectionCounter.limit, "refused": remote])
                }
                continue
            }
            SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY)
            let target = listener.nextLoop() ?? loop
            if target === loop {
                Self.adopt(fd: fd, remote: remote, on: loop, listener: listener, onAccept: onAccept)
            } else {
                let (listener, onAccept) = (listener, onAccept)
                target.execute { Self.adopt(fd: fd, remote: remote, on: target, listener: listener, onAccept: onAccept) }
            }
        }
    }

    /// Creates the connection on the loop that will own it for life.
    private static func adopt(fd: Int32, remote: String, on loop: EventLoop, listener: Listener,
                              onAccept: @Sendable (Connection) -> Void) {
        let options = listener.acceptOptions
        var session: TLSSession?
        if let tls = options.tls {
            do { session = try tls.current.makeSession(fd: fd) } catch {
                Log.error("tls_session_failed", ["error": "\(error)"])
                Glibc.close(fd)
                listener.connectionCounter.release()
                return
            }
        }
        let connection = Connection(loop: loop, fd: fd, remoteAddress: remote, limits: listener.connectionLimits,
                                    tls: session, counter: listener.connectionCounter)
        onAccept(connection)
        connection.start()
    }

    private func backOff(reason: String) {
        Log.warning("accept_paused", ["reason": reason, "pause_ms": 100])
        loop.unregister(listener.fd)
        loop.scheduleTimer(afterMs: 100) { [self] in
            guard !listener.stopped.load(ordering: .acquiring) else { return }
            try? loop.register(listener.fd, interest: [.readable, .exclusive], handler: self)
        }
    }
}
