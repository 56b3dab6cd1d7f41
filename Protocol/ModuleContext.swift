// The runtime a module works with (contract 0.3). Every member is safe to use from any task or thread.

public protocol ModuleContext: Sendable {
    var messaging: any Messaging { get }
    var presence: any Presence { get }
    var users: any UsersDirectory { get }
    var database: any Database { get }
    var http: any OutboundHTTPClient { get }
    var log: any ModuleLog { get }
    var metrics: any ModuleMetrics { get }
    var clock: any ModuleClock { get }
    var crypto: any ModuleCrypto { get }
    /// Another module's service, or nil when that module is not enabled (modules must cope: Chat works without
    /// Notifications, it only cannot notify offline members). Valid from `start` on.
    func service<Service>(_ key: ServiceKey<Service>) -> Service?
}

/// Wall-clock time in Unix milliseconds. The gateway's, or a test's that it drives.
public protocol ModuleClock: Sendable {
    func nowMs() -> Int64
}
