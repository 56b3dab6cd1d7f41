import GatewayProtocol

/// Per type over `[from, to)`: created, delivered in realtime vs stored for later, read, read rate and the median time
/// from creation to read, from the delivery log (which outlives deletions and expiry). The median is read with
/// `ORDER BY … LIMIT … OFFSET` rather than a percentile function, which SQLite lacks.
struct NotificationAnalytics: Sendable {
    let database: any Database

    static let defaultRangeMs: Int64 = 30 * 86_400_000

    func report(fromMs: Int64, toMs: Int64) async throws -> JSONValue {
        let rows = try await database.query(
            """
            SELECT type, COUNT(*) AS created, SUM(delivered_realtime) AS realtime,
                SUM(CASE WHEN read_at IS NULL THEN 0 ELSE 1 END) AS read_count,
                SUM(CASE WHEN fallback_status = 'sent' THEN 1 ELSE 0 END) AS fallback_sent
            FROM notifications_delivery_log WHERE created_at >= ? AND created_at < ? GROUP BY type ORDER BY type
            """, [.integer(fromMs), .integer(toMs)])
        var types: [JSONValue] = []
        var totals = (created: 0, realtime: 0, read: 0, fallback: 0)
        for row in rows {
            let type = row["type"].stringValue ?? ""
            let created = row["created"].intValue ?? 0, realtime = row["realtime"].intValue ?? 0
            let read = row["read_count"].intValue ?? 0, fallback = row["fallback_sent"].intValue ?? 0
            totals = (totals.created + created, totals.realtime + realtime, totals.read + read, totals.fallback + fallback)
            let median = try await medianTimeToRead(type: type, reads: read, fromMs: fromMs, toMs: toMs)
            types.append(Self.entry(type: type, created: created, realtime: realtime, read: read, fallback: fallback, median: median))
        }
        let median = try await medianTimeToRead(type: nil, reads: totals.read, fromMs: fromMs, toMs: toMs)
        return ["from": .string(Timestamps.iso8601(ms: fromMs)), "to": .string(Timestamps.iso8601(ms: toMs)),
                "types": .array(types),
                "total": Self.entry(type: nil, created: totals.created, realtime: totals.realtime, read: totals.read,
                                    fallback: totals.fallback, median: median)]
    }

    private static func entry(type: String?, created: Int, realtime: Int, read: Int, fallback: Int, median: Double?) -> JSONValue {
        var object: JSONObject = [:]
        if let type { object["type"] = .string(type) }
        object["created"] = .int(created)
        object["deliveredRealtime"] = .int(realtime)
        object["storedForLater"] = .int(created - realtime)
        object["fallbackSent"] = .int(fallback)
        object["read"] = .int(read)
        object["readRate"] = created == 0 ? .null : .double(Double(read) / Double(created))
        object["medianTimeToReadMs"] = median.map { $0.rounded() == $0 ? .int(Int($0)) : .double($0) } ?? .null
        return .object(object)
    }

    private func medianTimeToRead(type: String?, reads: Int, fromMs: Int64, toMs: Int64) async throws -> Double? {
        guard reads > 0 else { return nil }
        var parameters: [SQLValue] = [.integer(fromMs), .integer(toMs)]
        if let type { parameters.append(.text(type)) }
        // The middle one (odd count) or the middle two (even count).
        parameters += [.integer(reads % 2 == 0 ? 2 : 1), .integer(Int64((reads - 1) / 2))]
        let rows = try await database.query(
            """
            SELECT read_at - created_at AS waited FROM notifications_delivery_log
            WHERE created_at >= ? AND created_at < ? AND read_at IS NOT NULL\(type == nil ? "" : " AND type = ?")
            ORDER BY waited LIMIT ? OFFSET ?
            """, parameters)
        let values = rows.compactMap { $0["waited"].doubleValue }
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }
}
