import GatewayProtocol
import Synchronization

/// What one module declared in `init(setup:)`. Filled only during that call (registrations later are a programming error,
/// reported at start-up), then read by the runtime.
struct ModuleDeclarations: Sendable {
    struct Event: Sendable {
        let namespace: String
        let name: String
        let handler: Handler
    }
    /// As registered: `on` (a task per event) or `onSync` (run inline on the socket's loop when it is idle).
    enum Handler: Sendable {
        case async(EventHandler)
        case sync(SyncEventHandler)
    }
    struct Route: Sendable {
        let method: String
        let path: String
        let access: RouteAccess
        let handler: RouteHandler
    }

    var migrations: [Migration] = []
    var events: [Event] = []
    var connectHandlers: [(namespace: String, handler: ConnectHandler)] = []
    var disconnectHandlers: [(namespace: String, handler: DisconnectHandler)] = []
    var routes: [Route] = []
    var jobs: [JobSpec] = []
    var services: [(name: String, service: any Sendable)] = []
    var problems: [String] = []
}

/// The `ModuleSetup` a module is built with.
final class ModuleSetupRecorder: ModuleSetup, @unchecked Sendable {
    let moduleName: String
    let configuration: JSONObject
    let context: any ModuleContext
    private let state = Mutex((declarations: ModuleDeclarations(), open: true))

    init(moduleName: String, configuration: JSONObject, context: any ModuleContext) {
        self.moduleName = moduleName
        self.configuration = configuration
        self.context = context
    }

    /// Ends the declaration phase and hands over what was declared.
    func close() -> ModuleDeclarations {
        state.withLock {
            $0.open = false
            return $0.declarations
        }
    }

    private func record(_ what: String, _ change: (inout ModuleDeclarations) -> Void) {
        state.withLock {
            guard $0.open else {
                $0.declarations.problems.append("\(what) declared after init(setup:) returned")
                return
            }
            change(&$0.declarations)
        }
    }

    func migrations(_ migrations: [Migration]) {
        record("migrations") {
            if !$0.migrations.isEmpty { $0.problems.append("migrations declared twice") }
            $0.migrations = migrations
        }
    }

    func on(_ event: String, namespace: String, _ handler: @escaping EventHandler) {
        declare(event, namespace: namespace, .async(handler))
    }

    func onSync(_ event: String, namespace: String, _ handler: @escaping SyncEventHandler) {
        declare(event, namespace: namespace, .sync(handler))
    }

    private func declare(_ event: String, namespace: String, _ handler: ModuleDeclarations.Handler) {
        record("event \(event)") {
            if SocketEventNames.reserved.contains(event) {
                $0.problems.append("event \(event) is reserved by Socket.IO")
            } else if $0.events.contains(where: { $0.namespace == namespace && $0.name == event }) {
                $0.problems.append("event \(event) on \(namespace) declared twice")
            }
            $0.events.append(.init(namespace: namespace, name: event, handler: handler))
        }
    }

    func onConnect(namespace: String, _ handler: @escaping ConnectHandler) {
        record("onConnect") { $0.connectHandlers.append((namespace, handler)) }
    }

    func onDisconnect(namespace: String, _ handler: @escaping DisconnectHandler) {
        record("onDisconnect") { $0.disconnectHandlers.append((namespace, handler)) }
    }

    func route(_ method: String, _ path: String, access: RouteAccess, _ handler: @escaping RouteHandler) {
        record("route \(method) \(path)") {
            $0.routes.append(.init(method: method.uppercased(), path: path, access: access, handler: handler))
        }
    }

    func job(_ spec: JobSpec) {
        record("job \(spec.name)") {
            if $0.jobs.contains(where: { $0.name == spec.name }) { $0.problems.append("job \(spec.name) declared twice") }
            $0.jobs.append(spec)
        }
    }

    func provide<Service: Sendable>(_ key: ServiceKey<Service>, _ service: Service) {
        record("service \(key.name)") { $0.services.append((key.name, service)) }
    }
}

enum SocketEventNames {
    /// Names a module may not handle: Socket.IO's own, and `error`, which the gateway sends to report failures.
    static let reserved: Set<String> = ["connect", "connect_error", "disconnect", "disconnecting", "newListener",
                                        "removeListener", "error"]
}
