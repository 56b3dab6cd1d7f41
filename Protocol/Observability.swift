// Logging and metrics (contract 0.3). Both are cheap enough for a hot path and safe from any thread.

public enum ModuleLogLevel: Int, Sendable, Comparable {
    case debug, info, warning, error
    public static func < (a: ModuleLogLevel, b: ModuleLogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One structured line per notable event: `event` is a stable snake_case name, `fields` the details. The gateway adds the
/// module's name. Never log secrets, tokens, OTP codes or full phone numbers.
public protocol ModuleLog: Sendable {
    func log(_ level: ModuleLogLevel, _ event: String, _ fields: [String: String])
}

extension ModuleLog {
    public func debug(_ event: String, _ fields: [String: String] = [:]) { log(.debug, event, fields) }
    public func info(_ event: String, _ fields: [String: String] = [:]) { log(.info, event, fields) }
    public func warning(_ event: String, _ fields: [String: String] = [:]) { log(.warning, event, fields) }
    public func error(_ event: String, _ fields: [String: String] = [:]) { log(.error, event, fields) }
}

public protocol CounterMetric: Sendable {
    func increment(by amount: Int)
}

extension CounterMetric {
    public func increment() { increment(by: 1) }
}

public protocol GaugeMetric: Sendable {
    func set(_ value: Double)
    func add(_ delta: Double)
}

public protocol HistogramMetric: Sendable {
    func observe(_ value: Double)
}

/// Metrics a module counts; exposed at `/metrics` as `fitmate_<module>_<name>` (Prometheus text format). Asking twice for
/// the same name and labels returns the same metric; `name` is snake_case, label names too.
public protocol ModuleMetrics: Sendable {
    func counter(_ name: String, help: String, labels: [String: String]) -> any CounterMetric
    func gauge(_ name: String, help: String, labels: [String: String]) -> any GaugeMetric
    /// `buckets` are upper bounds in the unit of the name (`_seconds`, `_bytes`).
    func histogram(_ name: String, help: String, labels: [String: String], buckets: [Double]) -> any HistogramMetric
}

extension ModuleMetrics {
    public func counter(_ name: String, help: String) -> any CounterMetric { counter(name, help: help, labels: [:]) }
    public func gauge(_ name: String, help: String) -> any GaugeMetric { gauge(name, help: help, labels: [:]) }
}
