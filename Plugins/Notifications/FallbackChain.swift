import GatewayProtocol

/// What a notification does when its user had no socket: the configured channels for its type and priority, tried in
/// order until one takes it. The outcome is recorded in the delivery log and counted.
struct FallbackChain: Sendable {
    let context: any ModuleContext
    let store: NotificationStore
    let metrics: NotificationMetrics

    func deliver(_ record: NotificationRecord, through chain: [String]) async {
        for channel in chain {
            let outcome: String
            switch channel {
            case "sms": outcome = await sms(record)
            default: outcome = "unavailable"
            }
            metrics.fallback(channel: channel, outcome: outcome)
            do { try await store.recordFallback(record.id, channel: channel, status: outcome) } catch {
                context.log.warning("fallback_record_failed", ["id": String(record.id), "error": "\(error)"])
            }
            if outcome == "sent" { return }
        }
    }

    /// Only for users who opted in and gave a number, and only when the SMS module runs.
    private func sms(_ record: NotificationRecord) async -> String {
        guard let sms = context.service(WellKnownServices.sms) else { return "unavailable" }
        let user: UserRecord?
        do { user = try await context.users.user(record.userId) } catch {
            context.log.warning("fallback_user_lookup_failed", ["user": record.userId, "error": "\(error)"])
            return "failed"
        }
        guard let user, user.smsOptIn, let phone = user.phone, !phone.isEmpty else { return "not_opted_in" }
        do {
            let receipt = try await sms.send(SMSRequest(to: phone, body: record.title + "\n" + record.message,
                                                        locale: user.locale, purpose: "notification_fallback"))
            let delivered = !["failed", "undelivered"].contains(receipt.status)
            context.log.info("fallback_sms", ["id": String(record.id), "user": record.userId, "status": receipt.status])
            return delivered ? "sent" : "failed"
        } catch {
            context.log.warning("fallback_sms_failed", ["id": String(record.id), "user": record.userId, "error": "\(error)"])
            return "failed"
        }
    }
}
