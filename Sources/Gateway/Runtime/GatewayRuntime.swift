import EventLoop
import Glibc
import GatewayProtocol
import SocketIO
import Synchronization

/// The services shared by every module, and the registry of services modules offer each other.
final class GatewayRuntime: Sendable {
    let database: any Database
    let http: any OutboundHTTPClient
    let presence: PresenceRegistry
    let users: UsersTable
    let metrics: MetricsRegistry
    let clock: any ModuleClock
    let messaging: SocketMessaging
    private let services = Mutex<[String: any Sendable]>([:])

    init(database: any Database, http: any OutboundHTTPClient, socketIO: SocketIOServer, metrics: MetricsRegistry,
         clock: any ModuleClock) {
        self.database = database
        self.http = http
        self.metrics = metrics
        self.clock = clock
        presence = PresenceRegistry()
        users = UsersTable(database: database, clock: clock)
        messaging = SocketMessaging(server: socketIO)
    }

    func register(service: any Sendable, named name: String, by module: String) throws(GatewayStartError) {
        try services.withLock { (table) throws(GatewayStartError) in
            guard table[name] == nil else {
                throw GatewayStartError("modules.\(module): service \(name) is already provided by another module")
            }
            table[name] = service
        }
    }

    func service<Service>(_ key: ServiceKey<Service>) -> Service? {
        services.withLock { $0[key.name] } as? Service
    }
}

/// One module's view of the runtime: the shared services, with its own name on its log lines and metrics. The views are
/// made once here, not on every `context.metrics` a handler reads (the metric-name prefix is a string built per module).
struct RuntimeModuleContext: ModuleContext {
    let moduleName: String
    let runtime: GatewayRuntime
    let log: any ModuleLog
    let metrics: any ModuleMetrics
    let crypto: any ModuleCrypto = OpenSSLCrypto()

    init(moduleName: String, runtime: GatewayRuntime) {
        self.moduleName = moduleName
        self.runtime = runtime
        log = ModuleLogWriter(module: moduleName)
        metrics = ModuleMetricsView(registry: runtime.metrics, module: moduleName)
    }

    var messaging: any Messaging { runtime.messaging }
    var presence: any Presence { runtime.presence }
    var users: any UsersDirectory { runtime.users }
    var database: any Database { runtime.database }
    var http: any OutboundHTTPClient { runtime.http }
    var clock: any ModuleClock { runtime.clock }
    func service<Service>(_ key: ServiceKey<Service>) -> Service? { runtime.service(key) }
}

struct ModuleLogWriter: ModuleLog {
    let module: String
    func log(_ level: ModuleLogLevel, _ event: String, _ fields: [String: String]) {
        let mapped: Log.Level = switch level {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
        Log.write(mapped, event, pairs: [("module", module)] + fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}

/// The modules' clock is the scheduler's, so that a test clock moves both.
struct SchedulerBackedClock: ModuleClock {
    let clock: any SchedulerClock
    func nowMs() -> Int64 { clock.nowMs() }
}
