import GatewayProtocol
import Synchronization

/// Every metric of the process, rendered at `/metrics` in the Prometheus text format (version 0.0.4). Counters and gauges
/// are single atomics, so counting on a hot path costs one relaxed add; a metric is created once per name and label set.
final class MetricsRegistry: Sendable {
    enum Kind: String, Sendable { case counter, gauge, histogram }

    private struct Family {
        let kind: Kind
        let help: String
        var series: [String: any RenderableMetric] = [:]
        var order: [String] = []
    }

    private let families = Mutex<[String: Family]>([:])
    private let functions = Mutex<[(name: String, kind: Kind, help: String, labels: String, read: @Sendable () -> Double)]>([])

    func counter(_ name: String, help: String, labels: [String: String] = [:]) -> CounterSeries {
        series(name, kind: .counter, help: help, labels: labels) { CounterSeries() }
    }

    func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> GaugeSeries {
        series(name, kind: .gauge, help: help, labels: labels) { GaugeSeries() }
    }

    func histogram(_ name: String, help: String, labels: [String: String] = [:],
                   buckets: [Double] = HistogramSeries.latencyBuckets) -> HistogramSeries {
        series(name, kind: .histogram, help: help, labels: labels) { HistogramSeries(buckets: buckets) }
    }

    /// A gauge read at scrape time (open connections, queue depths) instead of kept up to date.
    func gaugeFunction(_ name: String, help: String, labels: [String: String] = [:], _ read: @escaping @Sendable () -> Double) {
        functions.withLock { $0.append((name, .gauge, help, Self.renderLabels(labels), read)) }
    }

    /// A counter kept elsewhere (an atomic in a lower layer), read at scrape time.
    func counterFunction(_ name: String, help: String, labels: [String: String] = [:], _ read: @escaping @Sendable () -> Double) {
        functions.withLock { $0.append((name, .counter, help, Self.renderLabels(labels), read)) }
    }

    private func series<M: RenderableMetric>(_ name: String, kind: Kind, help: String, labels: [String: String],
                                             make: () -> M) -> M {
        let key = Self.renderLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(kind: kind, help: help)
            precondition(family.kind == kind, "metric \(name) registered as \(family.kind) and \(kind)")
            if let existing = family.series[key] as? M { return existing }
            let metric = make()
            family.series[key] = metric
            family.order.append(key)
            families[name] = family
            return metric
        }
    }

    func render() -> String {
        var out = ""
        let snapshot = families.withLock { $0 }
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            for labels in family.order { family.series[labels]!.render(name: name, labels: labels, into: &out) }
        }
        let functions = self.functions.withLock { $0 }
        var described = Set<String>()
        for function in functions {
            if described.insert(function.name).inserted {
                out += "# HELP \(function.name) \(function.help)\n# TYPE \(function.name) \(function.kind.rawValue)\n"
            }
            out += "\(function.name)\(function.labels) \(Self.format(function.read()))\n"
        }
        return out
    }

    /// `{a="1",b="2"}` with names sorted and values escaped as the text format requires.
    static func renderLabels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.keys.sorted().map { key -> String in
            var value = ""
            for c in labels[key]! {
                switch c {
                case "\\": value += "\\\\"
                case "\"": value += "\\\""
                case "\n": value += "\\n"
                default: value.append(c)
                }
            }
            return "\(key)=\"\(value)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

protocol RenderableMetric: AnyObject, Sendable {
    func render(name: String, labels: String, into out: inout String)
}

final class CounterSeries: RenderableMetric, CounterMetric {
    private let value = Atomic<Int>(0)
    func increment(by amount: Int) { value.wrappingAdd(amount, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
    func render(name: String, labels: String, into out: inout String) { out += "\(name)\(labels) \(current)\n" }
}

final class GaugeSeries: RenderableMetric, GaugeMetric {
    private let bits = Atomic<UInt64>(0.0.bitPattern)
    func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    func add(_ delta: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = bits.compareExchange(expected: old, desired: (Double(bitPattern: old) + delta).bitPattern,
                                                             ordering: .relaxed)
            if exchanged { return }
            old = original
        }
    }
    var current: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
    func render(name: String, labels: String, into out: inout String) {
        out += "\(name)\(labels) \(MetricsRegistry.format(current))\n"
    }
}

final class HistogramSeries: RenderableMetric, HistogramMetric {
    /// Seconds, from 100 µs to 10 s: handler, storage and request latencies all fall in here.
    static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                           1, 2.5, 5, 10]
    let bounds: [Double]
    private let state: Mutex<(counts: [Int], sum: Double, count: Int)>

    init(buckets: [Double]) {
        bounds = buckets.sorted()
        state = Mutex((Array(repeating: 0, count: buckets.count), 0, 0))
    }

    func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 }
        state.withLock {
            if let index { $0.counts[index] += 1 }
            $0.sum += value
            $0.count += 1
        }
    }

    func render(name: String, labels: String, into out: inout String) {
        let (counts, sum, count) = state.withLock { ($0.counts, $0.sum, $0.count) }
        let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
        var cumulative = 0
        for (bound, n) in zip(bounds, counts) {
            cumulative += n
            out += "\(name)_bucket{\(inner)le=\"\(MetricsRegistry.format(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(inner)le=\"+Inf\"} \(count)\n\(name)_sum\(labels) \(sum)\n\(name)_count\(labels) \(count)\n"
    }
}

/// What a module sees: its own metrics, named `fitmate_<module>_<name>`.
struct ModuleMetricsView: ModuleMetrics {
    let registry: MetricsRegistry
    let prefix: String

    init(registry: MetricsRegistry, module: String) {
        self.registry = registry
        prefix = "fitmate_" + module.replacingOccurrences(of: "-", with: "_") + "_"
    }

    func counter(_ name: String, help: String, labels: [String: String]) -> any CounterMetric {
        registry.counter(prefix + name, help: help, labels: labels)
    }
    func gauge(_ name: String, help: String, labels: [String: String]) -> any GaugeMetric {
        registry.gauge(prefix + name, help: help, labels: labels)
    }
    func histogram(_ name: String, help: String, labels: [String: String], buckets: [Double]) -> any HistogramMetric {
        registry.histogram(prefix + name, help: help, labels: labels, buckets: buckets)
    }
}
