import GatewayProtocol

/// The module's counters at `/metrics` (`fitmate_notifications_*`): the same figures the analytics route computes from
/// the delivery log, live. Handles are made once per label set; types and priorities are closed sets.
struct NotificationMetrics: Sendable {
    private let created: [String: any CounterMetric]
    private let read: [String: any CounterMetric]
    private let timeToRead: [String: any HistogramMetric]
    private let fallbacks: any ModuleMetrics
    let purged: any CounterMetric
    let createToPush: any HistogramMetric

    init(_ metrics: any ModuleMetrics) {
        var created: [String: any CounterMetric] = [:]
        var read: [String: any CounterMetric] = [:]
        var timeToRead: [String: any HistogramMetric] = [:]
        for type in NotificationsSettings.types {
            for delivery in ["realtime", "stored"] {
                created[type + "/" + delivery] = metrics.counter(
                    "created_total", help: "Notifications created, by type and whether a socket of the user got it at once.",
                    labels: ["type": type, "delivery": delivery])
            }
            read[type] = metrics.counter("read_total", help: "Notifications marked read, by type.", labels: ["type": type])
            timeToRead[type] = metrics.histogram(
                "time_to_read_seconds", help: "From creation to being marked read, by type.", labels: ["type": type],
                buckets: [1, 10, 60, 300, 1800, 3600, 6 * 3600, 86_400, 7 * 86_400])
        }
        self.created = created
        self.read = read
        self.timeToRead = timeToRead
        fallbacks = metrics
        purged = metrics.counter("purged_total", help: "Expired notifications deleted.")
        createToPush = metrics.histogram("create_to_push_seconds", help: "From a create call to its newNotification emit.",
                                         labels: [:], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5])
    }

    func created(type: String, realtime: Bool) { created[type + "/" + (realtime ? "realtime" : "stored")]?.increment() }

    func read(type: String, afterMs: Int64) {
        read[type]?.increment()
        timeToRead[type]?.observe(Double(max(0, afterMs)) / 1000)
    }

    /// `outcome`: `sent`, `failed`, `not_opted_in`, `unavailable`.
    func fallback(channel: String, outcome: String) {
        fallbacks.counter("fallback_total", help: "Fallback attempts for users with no socket, by channel and outcome.",
                          labels: ["channel": channel, "outcome": outcome]).increment()
    }
}
