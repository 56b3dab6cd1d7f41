// The handler module (contract 0.3): what a feature such as Chat or SMS is to the gateway.

/// A handler module. The gateway builds each enabled module once at start-up with `init(setup:)`, where the module reads
/// its own configuration section and declares everything it needs (migrations, events, routes, jobs, services); then it
/// runs the migrations, calls `start` on every module, and only then listens. On shutdown it calls `stop` after the
/// listeners closed.
///
/// Lifecycle errors: a module whose `contractVersion` the gateway does not support, or whose `init` or `start` throws, stops
/// the gateway's start-up with the module's name and the message: a half-configured feature never serves.
public protocol GatewayModule: Sendable {
    /// The name under `modules.<name>` in the configuration, in logs and in metric names: lowercase letters, digits and `-`.
    static var name: String { get }
    /// The contract version the module was built against (normally `ContractVersion.current` at the time).
    static var contractVersion: ContractVersion { get }
    /// Whether the module runs when the configuration does not mention it (see the extension: true unless overridden).
    static var enabledByDefault: Bool { get }
    init(setup: any ModuleSetup) throws
    /// Every module has been built and migrations have run; services of other modules can be looked up now.
    func start(_ context: any ModuleContext) async throws
    func stop() async
}

extension GatewayModule {
    public func start(_ context: any ModuleContext) async throws {}
    public func stop() async {}
}

/// An error a module means the client to see: its `message` goes back as the error ack or `error` event, or as the
/// body of a failed route (`{"error": message}`) with `status`. Any other error thrown by a handler is logged with its
/// details and the client gets only "internal error".
public struct ModuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    /// A stable machine-readable reason (`"forbidden"`, `"rate_limited"`), sent beside the message.
    public let code: String?
    public init(_ message: String, status: Int = 400, code: String? = nil) {
        self.message = message
        self.status = status
        self.code = code
    }
    public var description: String { message }

    public static func badRequest(_ message: String) -> ModuleError { ModuleError(message, status: 400, code: "bad_request") }
    public static func forbidden(_ message: String) -> ModuleError { ModuleError(message, status: 403, code: "forbidden") }
    public static func notFound(_ message: String) -> ModuleError { ModuleError(message, status: 404, code: "not_found") }
    public static func rateLimited(_ message: String, retryAfterSeconds: Int? = nil) -> ModuleError {
        ModuleError(message, status: 429, code: "rate_limited")
    }
}

extension GatewayModule {
    /// Modules run unless their configuration says `enabled: false`; a module that must be asked for (the benchmark
    /// module) says false here.
    public static var enabledByDefault: Bool { true }
}
