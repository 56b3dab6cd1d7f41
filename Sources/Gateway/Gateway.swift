import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import HTTP
import Synchronization
import WebSocket

/// The running gateway: loops, listeners, TLS, the HTTP server and its routes. `main` builds one from the configuration
/// and calls `runUntilSignalled()`; tests build one on port 0 and call `start()` / `shutdown`.
public final class Gateway: @unchecked Sendable {
    public let configuration: GatewayConfiguration
    public let group: EventLoopGroup
    public let http: HTTPServer
    let tls: TLSReloadableContext?
    let storage: SQLiteDatabase
    let httpClient: CurlHTTPClient
    let authenticator: Authenticator
    let metrics = MetricsRegistry()
    /// The modules and the production Socket.IO endpoint; nil in conformance mode, where the suites' fixture owns the path.
    let modules: ModuleRuntime?
    /// The WebSocket echo endpoint (Autobahn), when `websocket.echoPath` is set.
    let webSocketEcho: WebSocketServer?
    /// The Engine.IO conformance fixture, with `GATEWAY_CONFORMANCE=1` only.
    let engineIOConformance: EngineIOServer?
    /// The official Socket.IO suite's fixture (`GATEWAY_CONFORMANCE=1` only).
    let socketIOConformance: ConformanceSocketIO.Fixture?
    private var redirect: HTTPServer?
    private var listeners: [Listener] = []
    private let counter: ConnectionCounter

    /// `modules` are the handler modules this build knows (the executable's list); configuration decides which run.
    /// `clock` is the scheduler's and the modules' notion of time (tests pass one they move by hand).
    public init(configuration: GatewayConfiguration, modules moduleTypes: [any GatewayModule.Type] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment,
                clock: any SchedulerClock = SystemSchedulerClock()) throws(GatewayStartError) {
        self.configuration = configuration
        Log.minimumLevel = Log.Level(name: configuration.logLevel.rawValue) ?? .info
        do { group = try EventLoopGroup(count: configuration.resolvedLoopCount) } catch {
            throw GatewayStartError("loops: cannot create event loops: \(error)")
        }
        if let settings = configuration.tls {
            let pairs = [TLSCertificatePair(certificatePath: settings.certificate, privateKeyPath: settings.key)]
                + settings.sni.map { TLSCertificatePair(certificatePath: $0.certificate, privateKeyPath: $0.key) }
            do { tls = try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: pairs)) } catch {
                throw GatewayStartError("tls: \(error.message)")
            }
        } else {
            tls = nil
        }
        try DataDirectory.prepare(configuration.dataDir)
        var storageSettings = SQLiteDatabase.Settings(path: configuration.resolvedStoragePath)
        storageSettings.synchronous = configuration.storage.synchronous
        storageSettings.readers = configuration.storage.readers
        storageSettings.maxBatch = configuration.storage.maxBatch
        storageSettings.busyTimeoutMs = configuration.storage.busyTimeoutMs
        storageSettings.statementCacheSize = configuration.storage.statementCacheSize
        do { storage = try SQLiteDatabase(settings: storageSettings) } catch {
            throw GatewayStartError("storage.path: cannot open \(storageSettings.path): \(error.message)")
        }
        do { httpClient = try CurlHTTPClient(loop: group.loops[group.loops.count - 1], settings: configuration.httpClient) } catch {
            throw GatewayStartError("httpClient: \(error)")
        }
        let client = httpClient
        do {
            authenticator = try Authenticator.make(configuration: configuration) { url in
                let response = try await client.send(OutboundRequest(url: url))
                guard response.status == 200 else { throw OutboundHTTPError(.transfer, "JWKS answered \(response.status)") }
                return response.body
            }
        } catch {
            throw GatewayStartError("auth: \(error)")
        }
        counter = ConnectionCounter(limit: configuration.maxConnections)
        http = HTTPServer(group: group, configuration: ConformanceEngineIO.adjust(Self.httpConfiguration(configuration)))
        HealthRoutes.register(on: http, group: group, storage: storage)
        webSocketEcho = WebSocketEcho.install(on: http, group: group, settings: configuration.websocket)
        engineIOConformance = ConformanceEngineIO.install(on: http)
        socketIOConformance = ConformanceSocketIO.install(on: http)
        if socketIOConformance == nil {
            modules = try ModuleRuntime(
                configuration: configuration, http: http, modules: moduleTypes,
                services: .init(database: storage, httpClient: httpClient, verifier: authenticator,
                                roles: .init(admin: configuration.auth.adminRole, service: configuration.auth.serviceRole),
                                clock: clock),
                metrics: metrics, environment: environment)
        } else {
            modules = nil
        }
    }

    static func httpConfiguration(_ configuration: GatewayConfiguration) -> HTTPServerConfiguration {
        let settings = configuration.http
        let cors = settings.corsOrigins.isEmpty ? nil
            : CORSPolicy(allowedOrigins: settings.corsOrigins, allowCredentials: settings.corsCredentials)
        return HTTPServerConfiguration(
            limits: HTTPLimits(maxRequestLineBytes: settings.maxRequestLineBytes, maxHeaderBytes: settings.maxHeaderBytes,
                               maxHeaderCount: settings.maxHeaderCount, maxBodyBytes: settings.maxBodyBytes),
            headerTimeoutMs: UInt64(settings.headerTimeoutMs), idleTimeoutMs: UInt64(settings.idleTimeoutMs),
            cors: cors, compressionThresholdBytes: settings.compressionThresholdBytes,
            hstsMaxAgeSeconds: configuration.tls?.hstsMaxAgeSeconds ?? 0)
    }

    var connectionLimits: ConnectionLimits {
        let settings = configuration.connection
        return ConnectionLimits(highWatermark: settings.writeHighWatermarkBytes, lowWatermark: settings.writeLowWatermarkBytes,
                                maxBufferedBytes: settings.maxWriteBufferBytes,
                                tlsHandshakeTimeoutMs: UInt64(configuration.tls?.handshakeTimeoutMs ?? 10_000))
    }

    /// The port the main listener is bound to (useful when configured as 0).
    public private(set) var port = 0
    public private(set) var redirectPort = 0

    /// Runs the migrations and starts the modules, then binds the listeners and starts the loops.
    public func start() throws(GatewayStartError) {
        try modules?.startBlocking()
        do {
            let main = try http.listen(host: configuration.host, port: configuration.port,
                                       options: ListenerOptions(connectionLimits: connectionLimits, tls: tls), counter: counter)
            listeners.append(main)
            port = main.port
        } catch {
            throw GatewayStartError("port: cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        if let settings = configuration.tls, settings.redirectPort > 0 {
            let redirect = HTTPServer(group: group, configuration: Self.httpConfiguration(configuration))
            let httpsPort = port
            redirect.fallbackHandler = { context in context.respond(HTTPSRedirect.response(for: context.request, httpsPort: httpsPort)) }
            // Its own catch: a busy redirect port must be reported as tls.redirectPort, not as the (fine) main port.
            do {
                let listener = try redirect.listen(host: configuration.host, port: settings.redirectPort,
                                                   options: ListenerOptions(connectionLimits: connectionLimits), counter: counter)
                redirectPort = listener.port
            } catch {
                throw GatewayStartError("tls.redirectPort: cannot listen on \(configuration.host):\(settings.redirectPort): \(error)")
            }
            self.redirect = redirect
        }
        group.start()
        Log.info("gateway_started", ["host": configuration.host, "port": port, "tls": tls != nil, "loops": group.loops.count,
                                     "data_dir": configuration.dataDir, "redirect_port": redirectPort])
    }

    /// Re-reads the certificate files. New connections use the new certificates; established ones keep theirs. A bad new
    /// certificate is refused and the old one stays in use.
    @discardableResult
    public func reloadCertificates() -> Bool {
        guard let tls else { return false }
        switch tls.reload() {
        case .success:
            Log.info("tls_reloaded", ["certificates": tls.current.serverNames.map { $0.joined(separator: ",") }.joined(separator: " ")])
            return true
        case .failure(let error):
            Log.error("tls_reload_refused", ["error": error.message, "keeping": "previous certificates"])
            return false
        }
    }

    /// Stops accepting, finishes in-flight requests within the configured deadline, then stops the loops.
    public func shutdown(completion: @escaping @Sendable () -> Void = {}) {
        Log.info("gateway_stopping", ["deadline_ms": configuration.shutdownTimeoutMs])
        let servers = [http] + (redirect.map { [$0] } ?? [])
        let group = self.group
        let modules = self.modules
        let storage = self.storage
        let httpClient = self.httpClient
        let stopped = Countdown(servers.count + (webSocketEcho == nil ? 0 : 1)) {
            // After the listeners drained: modules stop, then what they used closes (queued writes are committed first).
            Task.detached {
                await modules?.stop()
                await httpClient.close()
                storage.close()
                for loop in group.loops { loop.stop() }
                completion()
            }
        }
        let finished = stopped.signal
        let deadline = UInt64(configuration.shutdownTimeoutMs)
        // WebSocket sessions get a 1001 "going away" close instead of being dropped with the loops.
        webSocketEcho?.shutdown(deadlineMs: deadline, completion: finished)
        for server in servers { server.shutdown(deadlineMs: deadline, completion: finished) }
    }

    /// Builds the gateway and runs it until SIGTERM or SIGINT (graceful shutdown; a second signal stops at once); SIGHUP
    /// reloads certificates. Call from the main thread before anything starts threads: the signals are blocked first, so
    /// that every thread the gateway starts (loops, storage, libcurl) inherits the mask and only the signalfd sees them.
    public static func runUntilSignalled(configuration: GatewayConfiguration,
                                         modules: [any GatewayModule.Type]) throws(GatewayStartError) {
        let signals: SignalWatcher
        do { signals = try SignalWatcher(signals: [SIGTERM, SIGINT, SIGHUP]) } catch {
            throw GatewayStartError("signals: \(error)")
        }
        try Gateway(configuration: configuration, modules: modules).run(until: signals)
    }

    private func run(until signals: SignalWatcher) throws(GatewayStartError) {
        try start()
        let loop = group.loops[0]
        let box = LoopBound(signals, loop: loop)
        let stopping = Atomic<Bool>(false)
        loop.execute { [self] in
            do {
                try box.value.start(on: loop) { signal in
                    if signal == SIGHUP {
                        self.reloadCertificates()
                    } else if stopping.exchange(true, ordering: .relaxed) {
                        Log.warning("gateway_stopped_forcibly", ["signal": signal])
                        exit(1)
                    } else {
                        self.shutdown()
                    }
                }
            } catch {
                Log.error("signal_watch_failed", ["error": "\(error)"])
            }
        }
        group.waitUntilStopped()
        Log.info("gateway_stopped")
        _ = signals
    }
}

/// The plain-HTTP listener's answer when TLS is on: the same URL over HTTPS.
enum HTTPSRedirect {
    static func response(for request: HTTPRequest, httpsPort: Int) -> HTTPResponse {
        guard let host = hostWithoutPort(request.headers["Host"]), isPlausibleHost(host) else {
            return .error(400, "a Host header is required to redirect to HTTPS")
        }
        let authority = httpsPort == 443 ? host : "\(host):\(httpsPort)"
        var response = HTTPResponse(status: 308)
        response.headers.add("Location", "https://\(authority)\(request.head.target.hasPrefix("/") ? request.head.target : "/")")
        return response
    }

    static func hostWithoutPort(_ host: String?) -> String? {
        guard let host, !host.isEmpty else { return nil }
        if host.hasPrefix("[") { return host.firstIndex(of: "]").map { String(host[...$0]) } }
        // Keep empty pieces: by default `split` drops the empty name of ":8080" and would return the port as the host.
        let name = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return name.isEmpty ? nil : String(name)
    }

    /// A name or address, nothing that could smuggle a path or a second header into `Location`.
    static func isPlausibleHost(_ host: String) -> Bool {
        host.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "[")
                || byte == UInt8(ascii: "]") || byte == UInt8(ascii: ":")
        }
    }
}
