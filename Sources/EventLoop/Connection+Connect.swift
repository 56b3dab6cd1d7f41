import CLinux
import Glibc

/// Outgoing connections: the project's own clients (tests, benchmarks, node-to-node links) use the same connection type.
extension Connection {
    /// Opens a non-blocking connection to `host:port` from `loop` (call on that loop). `delegate` gets
    /// `connectionDidBecomeActive` once connected (and, with TLS, once the handshake is done); `completion` reports the
    /// outcome either way. Name resolution blocks: pass numeric addresses from a loop.
    public static func connect(host: String, port: Int, on loop: EventLoop, limits: ConnectionLimits = ConnectionLimits(),
                               tls: TLSClientContext? = nil, serverName: String? = nil, delegate: ConnectionDelegate,
                               completion: @escaping (Result<Void, SystemError>) -> Void) {
        do throws(SystemError) {
            let (fd, started) = try SocketAddress.withResolved(host: host, port: port, passive: false) { address, length, family throws(SystemError) -> (Int32, Bool) in
                let fd = clinux_socket_nonblocking(family, Int32(SOCK_STREAM.rawValue))
                guard fd >= 0 else { throw SystemError("socket") }
                SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY)
                if Glibc.connect(fd, address, length) == 0 { return (fd, true) }
                let err = clinux_errno()
                guard err == EINPROGRESS else {
                    Glibc.close(fd)
                    throw SystemError("connect(\(host):\(port))", errno: err)
                }
                return (fd, false)
            }
            var session: TLSSession?
            if let tls {
                do { session = try tls.makeSession(fd: fd, serverName: serverName) } catch {
                    Glibc.close(fd)
                    throw SystemError("TLS session: \(error.description)", errno: 0)
                }
            }
            let connection = Connection(loop: loop, fd: fd, remoteAddress: "\(host):\(port)", limits: ConnectionLimits.Shared(limits),
                                        tls: session,
                                        connecting: true)
            connection.delegate = delegate
            connection.onConnect = completion
            connection.start()
            if started { connection.finishConnect() }
        } catch {
            completion(.failure(error))
        }
    }

    func finishConnect() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else {
            let failure = SystemError("connect(\(remoteAddress))", errno: error)
            let completion = onConnect
            onConnect = nil
            closeNow(.ioError(failure.description))
            completion?(.failure(failure))
            return
        }
        if tls != nil {
            state = .handshaking
            let timer = LoopTimer { [unowned self] in
                if self.state == .handshaking { self.closeNow(.tlsHandshakeTimeout) }
            }
            self.timer = timer
            loop.schedule(timer, afterMs: limits.tlsHandshakeTimeoutMs)
            driveHandshake()
            return
        }
        state = .open
        updateInterest()
        delegate?.connectionDidBecomeActive(self)
        if let completion = onConnect {
            onConnect = nil
            completion(.success(()))
        }
        if bufferedBytes > 0 { scheduleFlush() }
    }
}
