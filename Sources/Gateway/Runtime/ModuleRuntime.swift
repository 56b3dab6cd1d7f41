import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import HTTP
import SocketIO

/// A database the gateway can also migrate: the contract's `Database` plus the start-up step modules never call.
protocol MigratingDatabase: Database {
    func applyMigrations(module: String, _ migrations: [Migration]) async throws
}

/// The modules and everything they run on: the production Socket.IO endpoint, the shared services, the REST routes
/// and the gateway's own internal routes (`PUT /internal/users/:id`, `/metrics`).
final class ModuleRuntime: Sendable {
    let engineIO: EngineIOServer
    let socketIO: SocketIOServer
    let runtime: GatewayRuntime
    let hosts: [ModuleHost]
    private let sockets: ModuleSockets
    private let database: any MigratingDatabase
    let scheduler: Scheduler

    struct Services {
        let database: any MigratingDatabase
        let httpClient: any OutboundHTTPClient
        let verifier: any TokenVerifying
        let roles: ModuleRoutes.RoleNames
        var clock: any SchedulerClock = SystemSchedulerClock()
    }

    init(configuration: GatewayConfiguration, http: HTTPServer, modules: [any GatewayModule.Type], services: Services,
         metrics: MetricsRegistry, environment: [String: String]) throws(GatewayStartError) {
        let settings = configuration.socketio
        engineIO = EngineIOServer(http: http, configuration: EngineIOConfiguration(
            path: settings.path, pingIntervalMs: settings.pingIntervalMs, pingTimeoutMs: settings.pingTimeoutMs,
            maxPayload: settings.maxHttpBufferSize, perMessageDeflate: settings.perMessageDeflate,
            httpCompression: settings.httpCompression,
            // Modules see a socket's identity and address, never its request: its headers are not kept.
            keepsHandshakeRequest: false))
        var options = SocketIOServerOptions()
        options.connectTimeoutMs = UInt64(settings.connectTimeoutMs)
        if settings.stateRecovery {
            // Middlewares are not skipped: authentication runs again, and a recovered socket keeps its identity in `data`.
            options.connectionStateRecovery = SocketIOStateRecovery(maxDisconnectionDurationMs: UInt64(settings.recoveryWindowMs),
                                                                   skipMiddlewares: true)
        }
        socketIO = SocketIOServer(options: options)
        let database = MeasuredDatabase(services.database, metrics: metrics)
        self.database = database
        runtime = GatewayRuntime(database: database, http: services.httpClient, socketIO: socketIO,
                                 metrics: metrics, clock: SchedulerBackedClock(clock: services.clock))
        scheduler = Scheduler(database: database, clock: services.clock)
        hosts = try ModuleRegistry.build(modules, settings: configuration.modules, environment: environment, runtime: runtime)
        for host in hosts {
            for (name, service) in host.declarations.services {
                try runtime.register(service: service, named: name, by: host.name)
            }
        }
        sockets = ModuleSockets(modules: hosts, runtime: runtime, verifier: services.verifier,
                                maxPendingEvents: settings.maxPendingEvents, announcePresence: settings.announcePresence)
        sockets.install(on: socketIO)
        socketIO.attach(to: engineIO)

        let routes = ModuleRoutes(verifier: services.verifier,
                                  roles: services.roles,
                                  metrics: metrics)
        for host in hosts {
            for route in host.declarations.routes { routes.install(route, module: host.name, on: http) }
        }
        for route in InternalRoutes.routes(users: runtime.users, metrics: metrics, scheduler: scheduler) {
            routes.install(route, module: "gateway", on: http)
        }
        metrics.gaugeFunction("fitmate_engineio_clients", help: "Engine.IO sessions open, by transport.",
                              labels: ["transport": "websocket"]) { [engineIO] in Double(engineIO.webSocketClientsCount) }
        metrics.gaugeFunction("fitmate_engineio_clients", help: "Engine.IO sessions open, by transport.",
                              labels: ["transport": "polling"]) { [engineIO] in
            Double(max(0, engineIO.clientsCount - engineIO.webSocketClientsCount))
        }
        let traffic = engineIO.traffic
        metrics.counterFunction("fitmate_engineio_messages_total", help: "Engine.IO messages (Socket.IO packets and attachments).",
                              labels: ["direction": "in"]) { Double(traffic.messagesIn.load(ordering: .relaxed)) }
        metrics.counterFunction("fitmate_engineio_messages_total", help: "Engine.IO messages (Socket.IO packets and attachments).",
                              labels: ["direction": "out"]) { Double(traffic.messagesOut.load(ordering: .relaxed)) }
        metrics.counterFunction("fitmate_engineio_payload_bytes_total", help: "Engine.IO message payload bytes.",
                              labels: ["direction": "in"]) { Double(traffic.bytesIn.load(ordering: .relaxed)) }
        metrics.counterFunction("fitmate_engineio_payload_bytes_total", help: "Engine.IO message payload bytes.",
                              labels: ["direction": "out"]) { Double(traffic.bytesOut.load(ordering: .relaxed)) }
        metrics.gaugeFunction("fitmate_users_online", help: "Users with at least one socket.") { [runtime] in
            Double(runtime.presence.onlineUserCount)
        }
        Log.info("modules_loaded", ["modules": hosts.map(\.name).joined(separator: ","),
                                    "namespaces": sockets.namespaces.joined(separator: ","), "path": settings.path])
    }

    /// Migrations (the gateway's, then each module's), then each module's `start`, then the scheduler. Before the
    /// gateway listens.
    func start() async throws(GatewayStartError) {
        do {
            try await database.applyMigrations(module: "gateway", UsersTable.migrations)
            try await database.applyMigrations(module: "scheduler", Scheduler.migrations)
        } catch {
            throw GatewayStartError("storage: the gateway's migrations failed: \(error)")
        }
        for host in hosts {
            for job in host.declarations.jobs {
                do { try await scheduler.add(job, module: host.name) } catch {
                    throw GatewayStartError("modules.\(host.name): job \(job.name): \(error)")
                }
            }
        }
        for host in hosts where !host.declarations.migrations.isEmpty {
            do { try await database.applyMigrations(module: host.name, host.declarations.migrations) } catch {
                throw GatewayStartError("modules.\(host.name): migration failed: \(error)")
            }
        }
        for host in hosts {
            do { try await host.module.start(host.context) } catch {
                throw GatewayStartError("modules.\(host.name): start failed: \(error)")
            }
        }
        await scheduler.start()
    }

    func stop() async {
        await scheduler.stop()
        for host in hosts.reversed() { await host.module.stop() }
    }

    /// Runs `start` to completion from synchronous start-up code (the loops are not running yet, nothing here needs them).
    func startBlocking() throws(GatewayStartError) {
        let result = BlockingResult<GatewayStartError>()
        Task.detached { [self] in
            do throws(GatewayStartError) {
                try await start()
                result.finish(nil)
            } catch {
                result.finish(error)
            }
        }
        if let error = result.wait() { throw error }
    }
}

/// Carries one result from a task to a thread that blocks for it.
final class BlockingResult<Failure: Error & Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    private var failure: Failure?

    func finish(_ failure: Failure?) {
        condition.lock()
        self.failure = failure
        done = true
        condition.signal()
        condition.unlock()
    }

    func wait() -> Failure? {
        condition.lock()
        while !done { condition.wait() }
        defer { condition.unlock() }
        return failure
    }
}
