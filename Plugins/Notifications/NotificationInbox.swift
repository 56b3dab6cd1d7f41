import GatewayProtocol

/// A user's own notifications: listing, counts and changes, shared by the REST routes and the socket events. Every
/// lookup is scoped to the caller, so another user's id is "not found" exactly like an id that never existed.
struct NotificationInbox: Sendable {
    let context: any ModuleContext
    let settings: NotificationsSettings
    let store: NotificationStore
    let metrics: NotificationMetrics

    static let maxPage = 1_000_000

    struct Pagination: Sendable, Equatable {
        let page: Int
        let limit: Int
    }

    func pagination(_ query: [String: String]) throws(ModuleError) -> Pagination {
        func integer(_ name: String, default value: Int, max: Int) throws(ModuleError) -> Int {
            guard let text = query[name] else { return value }
            guard let number = Int(text), number >= 1 else { throw invalid("\(name): expected an integer of at least 1") }
            guard number <= max else { throw invalid("\(name): at most \(max)") }
            return number
        }
        return Pagination(page: try integer("page", default: 1, max: Self.maxPage),
                          limit: try integer("limit", default: settings.pageSize, max: settings.maxPageSize))
    }

    func list(_ userId: String, _ pagination: Pagination) async throws -> JSONValue {
        let page = try await store.page(of: userId, limit: pagination.limit, offset: (pagination.page - 1) * pagination.limit,
                                        now: context.clock.nowMs())
        return ["notifications": .array(page.notifications.map(\.json)), "totalCount": .int(page.totalCount),
                "unreadCount": .int(page.unreadCount)]
    }

    func unreadCount(_ userId: String) async throws -> Int {
        try await store.unreadCount(of: userId, now: context.clock.nowMs())
    }

    /// At connect: the count to every socket of the user (the new one included), ordered with concurrent changes.
    /// The count for a socket that just connected (as the old server sent it: to that socket).
    func pushCount(_ userId: String, socket: String) async throws {
        let now = context.clock.nowMs()
        _ = try await store.publisher.publish(for: userId, socket: socket, { try await store.currentCount(of: userId, now: now) })
    }

    func markRead(_ userId: String, id: Int64) async throws -> Int {
        let now = context.clock.nowMs()
        let change = try await store.publisher.publish(for: userId, { () async throws -> CountedChange<NotificationStore.Read> in
            guard let change = try await store.markRead(id, of: userId, now: now) else { throw ModuleError.notFound("no such notification") }
            return change
        })
        if change.value.readNow { metrics.read(type: change.value.type, afterMs: now - change.value.createdAtMs) }
        return change.unreadCount
    }

    func markAllRead(_ userId: String) async throws -> (updated: Int, unreadCount: Int) {
        let now = context.clock.nowMs()
        let change = try await store.publisher.publish(for: userId, { try await store.markAllRead(of: userId, now: now) })
        for read in change.value { metrics.read(type: read.type, afterMs: now - read.createdAtMs) }
        return (change.value.count, change.unreadCount)
    }

    func delete(_ userId: String, id: Int64) async throws -> Int {
        let now = context.clock.nowMs()
        let change = try await store.publisher.publish(for: userId, { () async throws -> CountedChange<Void> in
            guard let change = try await store.delete(id, of: userId, now: now) else { throw ModuleError.notFound("no such notification") }
            return change
        })
        return change.unreadCount
    }

    /// A path or payload id: the ids are integers, so anything else names no notification.
    static func id(_ text: String?) throws(ModuleError) -> Int64 {
        guard let text, let id = Int64(text) else { throw ModuleError.notFound("no such notification") }
        return id
    }
}
