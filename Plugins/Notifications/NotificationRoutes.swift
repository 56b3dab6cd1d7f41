import GatewayProtocol

/// The REST API for a user's own notifications (`Authorization: Bearer`), and the admins' analytics.
enum NotificationRoutes {
    static func install(on setup: any ModuleSetup, inbox: NotificationInbox, analytics: NotificationAnalytics,
                        clock: any ModuleClock) {
        setup.route("GET", "/notifications", access: .authenticated) { request in
            try .json(try await inbox.list(request.identity.userId, try inbox.pagination(request.query)))
        }
        setup.route("GET", "/notifications/unread-count", access: .authenticated) { request in
            try .json(["unreadCount": JSONValue.int(try await inbox.unreadCount(request.identity.userId))] as JSONObject)
        }
        setup.route("PATCH", "/notifications/read-all", access: .authenticated) { request in
            let (updated, unread) = try await inbox.markAllRead(request.identity.userId)
            return try .json(["success": true, "updated": .int(updated), "unreadCount": .int(unread)] as JSONObject)
        }
        setup.route("PATCH", "/notifications/:id/read", access: .authenticated) { request in
            let unread = try await inbox.markRead(request.identity.userId, id: try NotificationInbox.id(request.parameters["id"]))
            return try .json(["success": true, "unreadCount": .int(unread)] as JSONObject)
        }
        setup.route("DELETE", "/notifications/:id", access: .authenticated) { request in
            let unread = try await inbox.delete(request.identity.userId, id: try NotificationInbox.id(request.parameters["id"]))
            return try .json(["success": true, "unreadCount": .int(unread)] as JSONObject)
        }
        setup.route("GET", "/notifications/analytics", access: .admin) { request in
            let to = try time(request.query["to"], "to") ?? clock.nowMs()
            let from = try time(request.query["from"], "from") ?? to - NotificationAnalytics.defaultRangeMs
            guard from < to else { throw invalid("from: must be before to") }
            return try .json(try await analytics.report(fromMs: from, toMs: to))
        }
    }

    /// A query time: ISO 8601 or Unix milliseconds.
    private static func time(_ text: String?, _ name: String) throws(ModuleError) -> Int64? {
        guard let text else { return nil }
        if let ms = Int64(text), ms >= 0 { return ms }
        guard let ms = Timestamps.parseISO8601(text) else {
            throw invalid("\(name): expected an ISO 8601 date or date-time, or Unix milliseconds")
        }
        return ms
    }
}
