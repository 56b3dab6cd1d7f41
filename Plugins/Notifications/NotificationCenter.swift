import GatewayProtocol

/// Creating notifications: validation, storage, the push to every socket of the user followed by their new unread
/// count, and the fallback chain for users with no socket. Offered to other modules as `WellKnownServices.notifications`
/// and behind `POST /internal/notifications`.
struct NotificationCenter: NotificationSending {
    let context: any ModuleContext
    let settings: NotificationsSettings
    let store: NotificationStore
    let metrics: NotificationMetrics
    let background: BackgroundWork

    static let maxUserIdBytes = 128

    func notify(_ request: NotificationRequest) async throws -> NotificationReceipt {
        try await create(request).receipt
    }

    func notify(userId: String, template: String, parameters: [String: String], type: String,
                priority: String?) async throws -> NotificationReceipt {
        let text = try await render(template, for: userId, parameters: parameters)
        return try await notify(NotificationRequest(userId: userId, title: text.title, message: text.message, type: type,
                                                    priority: priority))
    }

    /// The template in the user's locale (from the users directory; the default locale for an unknown user).
    func render(_ template: String, for userId: String, parameters: [String: String]) async throws -> Templates.Text {
        let locale = try await context.users.user(userId)?.locale
        return try settings.templates.render(template, locale: locale, parameters: parameters)
    }

    struct Created: Sendable {
        let record: NotificationRecord
        let deliveredRealtime: Bool
        var receipt: NotificationReceipt { NotificationReceipt(id: String(record.id), deliveredRealtime: deliveredRealtime) }
    }

    /// Saves (with `alongside`'s writes in the same transaction), pushes, and starts the fallback when nobody got it.
    func create(_ request: NotificationRequest,
                alongside: (@Sendable (any SQLTransaction, Int64) throws -> Void)? = nil) async throws -> Created {
        let started = ContinuousClock.now
        let now = context.clock.nowMs()
        let new = try validate(request, now: now)
        // Asked before saving: a socket that connects meanwhile gets the count at connect and the row in the list.
        let online = context.presence.isOnline(new.userId)
        let messaging = store.publisher.messaging
        let pushLatency = metrics.createToPush
        let change = try await store.publisher.publish(for: new.userId, {
            try await store.create(new, deliveredRealtime: online, now: now, alongside: alongside)
        }, beforeCount: { record in
            messaging.emit("newNotification", [record.json], to: .user(record.userId))
            pushLatency.observe((ContinuousClock.now - started).seconds)
        })
        metrics.created(type: new.type, realtime: online)
        if !online {
            let chain = settings.fallbackChain(type: new.type, priority: new.priority)
            if !chain.isEmpty {
                let fallback = FallbackChain(context: context, store: store, metrics: metrics)
                let record = change.value
                background.run { await fallback.deliver(record, through: chain) }
            }
        }
        return Created(record: change.value, deliveredRealtime: online)
    }

    func validate(_ request: NotificationRequest, now: Int64) throws(ModuleError) -> NewNotification {
        func text(_ name: String, _ value: String, max: Int) throws(ModuleError) -> String {
            guard !value.isEmpty else { throw invalid("\(name): must not be empty") }
            guard value.utf8.count <= max else { throw invalid("\(name): at most \(max) bytes") }
            return value
        }
        let userId = try text("userId", request.userId, max: Self.maxUserIdBytes)
        let title = try text("title", request.title, max: settings.maxTitleBytes)
        let message = try text("message", request.message, max: settings.maxMessageBytes)
        guard NotificationsSettings.types.contains(request.type) else {
            throw invalid("type: must be one of \(NotificationsSettings.types.sorted().joined(separator: ", "))")
        }
        let priority = request.priority ?? "normal"
        guard NotificationsSettings.priorities.contains(priority) else {
            throw invalid("priority: must be one of \(NotificationsSettings.priorities.joined(separator: ", "))")
        }
        if let data = request.data {
            guard case .object = data else { throw invalid("data: expected an object") }
            guard data.serializedText.utf8.count <= settings.maxDataBytes else {
                throw invalid("data: at most \(settings.maxDataBytes) bytes of JSON")
            }
        }
        if let expiresAtMs = request.expiresAtMs, expiresAtMs <= now {
            throw invalid("expiresAt: must be in the future")
        }
        return NewNotification(userId: userId, type: request.type, priority: priority, title: title, message: message,
                               data: request.data, expiresAtMs: request.expiresAtMs)
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
