import EventLoop
import GatewayProtocol
import SocketIO

/// Wires the modules' socket declarations to the Socket.IO server: authentication on every namespace, presence, the
/// users directory at connect, each socket's ordered event queue, and connect/disconnect hooks.
final class ModuleSockets: Sendable {
    /// A class: found for every event and captured by its job, where a struct of seven references was copied (a retain
    /// and a release each) several times per event.
    final class Handler: Sendable {
        let module: String
        let run: ModuleDeclarations.Handler
        /// The module's counters, looked up once here rather than per event.
        let counters: SocketMetrics.ModuleCounters

        init(module: String, run: ModuleDeclarations.Handler, counters: SocketMetrics.ModuleCounters) {
            self.module = module
            self.run = run
            self.counters = counters
        }
    }

    private let runtime: GatewayRuntime
    private let verifier: any TokenVerifying
    /// Per socket, events waiting or running (the sessions' queues refuse more).
    let maxPendingEvents: Int
    private let announcePresence: Bool
    /// namespace → event → handler; fixed before the server accepts anyone.
    private let handlers: [String: EventTable<Handler>]
    private let connectHooks: [String: [(module: String, run: ConnectHandler)]]
    private let disconnectHooks: [String: [(module: String, run: DisconnectHandler)]]
    private let metrics: SocketMetrics

    init(modules: [ModuleHost], runtime: GatewayRuntime, verifier: any TokenVerifying, maxPendingEvents: Int,
         announcePresence: Bool) {
        let metrics = SocketMetrics(registry: runtime.metrics, modules: modules)
        var handlers: [String: [String: Handler]] = ["/": [:]]
        var connectHooks: [String: [(String, ConnectHandler)]] = [:]
        var disconnectHooks: [String: [(String, DisconnectHandler)]] = [:]
        for host in modules {
            for event in host.declarations.events {
                handlers[event.namespace, default: [:]][event.name] = Handler(module: host.name, run: event.handler,
                                                                                 counters: metrics.counters(module: host.name))
            }
            // A namespace with hooks but no events is still served.
            for hook in host.declarations.connectHandlers {
                if handlers[hook.namespace] == nil { handlers[hook.namespace] = [:] }
                connectHooks[hook.namespace, default: []].append((host.name, hook.handler))
            }
            for hook in host.declarations.disconnectHandlers {
                if handlers[hook.namespace] == nil { handlers[hook.namespace] = [:] }
                disconnectHooks[hook.namespace, default: []].append((host.name, hook.handler))
            }
        }
        self.handlers = handlers.mapValues(EventTable.init)
        self.connectHooks = connectHooks
        self.disconnectHooks = disconnectHooks
        self.runtime = runtime
        self.verifier = verifier
        self.maxPendingEvents = maxPendingEvents
        self.announcePresence = announcePresence
        self.metrics = metrics
    }

    var namespaces: [String] { handlers.keys.sorted() }

    func install(on server: SocketIOServer) {
        for name in namespaces {
            let namespace = server.of(name)
            namespace.use { [self] socket, next in authenticate(socket, next) }
            namespace.onConnection { [self] socket in connected(socket) }
        }
    }

    // MARK: Authentication (on the socket's loop)

    private func authenticate(_ socket: SocketIOSocket, _ next: SocketIONext) {
        guard case .string(let token)? = socket.auth["token"], !token.isEmpty else {
            metrics.authFailures.increment()
            next(SocketIOConnectError(TokenRejection.missing.message, data: ["code": .string(TokenRejection.missing.code)]))
            return
        }
        let bound = LoopBound(socket, loop: socket.loop)
        let verifier = self.verifier
        let failures = metrics.authFailures
        let address = socket.handshake.address
        // Off the loop: verifying an RS/ES signature costs 0.1–1 ms of CPU (measured in a debug build), too long to
        // hold a loop that serves thousands of sockets; the answer hops back.
        Task {
            do throws(TokenRejection) {
                let identity = try await verifier.identity(fromToken: token)
                bound.loop.runOrExecute {
                    Self.store(identity.claims, in: bound.value)
                    Self.forgetToken(of: bound.value)
                    next()
                }
            } catch {
                failures.increment()
                Log.info("socket_auth_refused", ["reason": error.code, "message": error.message,
                                                  "address": address])
                next(SocketIOConnectError(error.message, data: ["code": .string(error.code)]))
            }
        }
    }

    /// A gateway socket's `data` is its verified claims (nothing else writes it): they survive a recovered reconnection,
    /// which skips the middlewares, and the identity is rebuilt from them at connect. Stored as they are, at their exact
    /// size, not wrapped in another object: `data` stays as long as the socket.
    private static func store(_ claims: JSONObject, in socket: SocketIOSocket) {
        socket.data = claims.exactlySized
    }

    /// A verified bearer token is not kept for the socket's life: it is a credential (no reason to hold it in memory
    /// for hours) and the largest part of an idle socket's handshake.
    private static func forgetToken(of socket: SocketIOSocket) {
        socket.auth["token"] = nil
        socket.auth = socket.auth.exactlySized
    }

    private func identity(of socket: SocketIOSocket) -> Identity? {
        verifier.identity(fromVerifiedClaims: socket.data)
    }

    // MARK: Connected sockets (on the socket's loop)

    private func connected(_ socket: SocketIOSocket) {
        guard let identity = identity(of: socket) else {
            socket.disconnect(close: true)
            return
        }
        let nsp = socket.nsp
        let session = SocketSession(identity: identity, remoteAddress: socket.handshake.address, socket: socket, wiring: self,
                                    events: handlers[nsp] ?? EventTable([:]))
        let info = session.info
        socket.join(UserRooms.room(for: identity.userId))
        metrics.connected.add(1)
        let runtime = self.runtime
        if runtime.presence.socketConnected(userId: identity.userId) && announcePresence {
            _ = runtime.messaging.emit("userOnline", [.object(["userId": .string(identity.userId), "socketId": .string(socket.id)])],
                                       to: .everyone)
        }
        let hooks = connectHooks[nsp] ?? []
        _ = session.enqueue(SocketSession.Job {
            do { try await runtime.users.recordConnect(identity) } catch {
                Log.warning("users_record_failed", ["user": identity.userId, "error": "\(error)"])
            }
            for hook in hooks {
                do { try await hook.run(info) } catch {
                    Log.error("module_connect_hook_failed", ["module": hook.module, "error": "\(error)"])
                }
            }
            return .none
        }, ack: nil)

        // The session is the socket's listener (no closure objects per socket); it reaches this object and its
        // namespace's table.
        socket.listener = session
    }

    func received(_ event: String, _ arguments: SocketIOArguments, _ ack: SocketIOAck?, on session: SocketSession) {
        guard let handler = session.events[event] else {
            metrics.unknownEvents.increment()
            ack?.send([.object(["error": .string("unknown event \(event)"), "code": .string("unknown_event")])])
            return
        }
        let context = EventContext(name: event, socket: session.info, arguments: arguments, wantsAck: ack != nil)
        let counters = handler.counters
        counters.received.increment()
        let run: EventHandler
        switch handler.run {
        case .sync(let sync) where session.isIdle:
            // Nothing of this socket is pending, so running it now keeps the order: no task, no job, no queue.
            let started = ContinuousClock.now
            let reply: SocketSession.Reply
            do { reply = .ack(try sync(context)) } catch { reply = Self.reply(to: error, event: event, handler: handler) }
            counters.latency.observe((ContinuousClock.now - started).seconds)
            return session.send(reply, ack: ack)
        case .sync(let sync): run = { try sync($0) }  // behind the socket's pending events, in order
        case .async(let async): run = async
        }
        let accepted = session.enqueue(SocketSession.Job {
            let started = ContinuousClock.now
            defer { counters.latency.observe((ContinuousClock.now - started).seconds) }
            do { return .ack(try await run(context)) } catch { return Self.reply(to: error, event: event, handler: handler) }
        }, ack: ack)
        if !accepted {
            counters.refused.increment()
            let message = "too many events in flight (socketio.maxPendingEvents = \(maxPendingEvents))"
            if let ack {
                ack.send([.object(["error": .string(message), "code": .string("overloaded")])])
            } else {
                session.socket.emit("error", arguments: [.object(["message": .string(message), "code": .string("overloaded"),
                                                          "event": .string(event)])])
            }
        }
    }

    /// A handler's error as the client hears it: a `ModuleError` as itself, anything else as `internal error` (logged).
    private static func reply(to error: any Error, event: String, handler: Handler) -> SocketSession.Reply {
        if let error = error as? ModuleError {
            handler.counters.refused.increment()
            return .failure(message: error.message, code: error.code ?? "error", event: event)
        }
        handler.counters.failed.increment()
        Log.error("module_handler_failed", ["module": handler.module, "event": event, "error": "\(error)"])
        return .failure(message: "internal error", code: "internal", event: event)
    }

    func disconnected(_ session: SocketSession, reason: String) {
        metrics.connected.add(-1)
        let info = session.info
        let userId = info.user.userId
        if runtime.presence.socketDisconnected(userId: userId) && announcePresence {
            runtime.messaging.emit("userOffline", [.object(["userId": .string(userId)])], to: .everyone)
        }
        guard let goodbyes = disconnectHooks[info.namespace], !goodbyes.isEmpty else { return }
        // Queued behind the socket's pending events, so a module sees its last events before the goodbye.
        _ = session.enqueue(SocketSession.Job {
            for hook in goodbyes { await hook.run(info, reason) }
            return .none
        }, ack: nil)
    }
}

/// The gateway's own socket metrics.
struct SocketMetrics: Sendable {
    struct ModuleCounters: Sendable {
        let received: CounterSeries
        let refused: CounterSeries
        let failed: CounterSeries
        let latency: HistogramSeries
    }

    let connected: GaugeSeries
    let authFailures: CounterSeries
    let unknownEvents: CounterSeries
    private let perModule: [String: ModuleCounters]

    init(registry: MetricsRegistry, modules: [ModuleHost]) {
        connected = registry.gauge("fitmate_socket_connected", help: "Authenticated Socket.IO sockets (all namespaces).")
        authFailures = registry.counter("fitmate_socket_auth_failures_total", help: "Socket connections refused by authentication.")
        unknownEvents = registry.counter("fitmate_socket_unknown_events_total", help: "Events no module handles.")
        var perModule: [String: ModuleCounters] = [:]
        for host in modules {
            let labels = ["module": host.name]
            perModule[host.name] = ModuleCounters(
                received: registry.counter("fitmate_events_received_total", help: "Socket events handed to modules.", labels: labels),
                refused: registry.counter("fitmate_events_refused_total", help: "Events answered with a module's error.", labels: labels),
                failed: registry.counter("fitmate_handler_errors_total", help: "Handlers that failed unexpectedly.", labels: labels),
                latency: registry.histogram("fitmate_handler_duration_seconds", help: "Time from dequeue to reply.", labels: labels))
        }
        self.perModule = perModule
    }

    func counters(module: String) -> ModuleCounters { perModule[module]! }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
