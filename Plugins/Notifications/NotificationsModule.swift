// The Notifications module (issue 8): realtime in-app notifications with unread counts, expiry, an offline fallback
// chain and analytics, wire-compatible with FitMate's React client (`newNotification`, `unreadNotificationCount`).
import GatewayProtocol

public struct NotificationsModule: GatewayModule {
    public static let name = "notifications"
    public static let contractVersion = ContractVersion(major: 0, minor: 4)

    private let background: BackgroundWork

    public init(setup: any ModuleSetup) throws {
        let context = setup.context
        let settings = try NotificationsSettings(setup.configuration)
        let metrics = NotificationMetrics(context.metrics)
        let store = NotificationStore(database: context.database, publisher: UnreadCountPublisher(messaging: context.messaging))
        let background = BackgroundWork()
        self.background = background
        let center = NotificationCenter(context: context, settings: settings, store: store, metrics: metrics, background: background)
        let inbox = NotificationInbox(context: context, settings: settings, store: store, metrics: metrics)

        setup.migrations(NotificationsSchema.migrations)
        setup.provide(WellKnownServices.notifications, center as any NotificationSending)

        // The old server sent the count to each socket at connect; a user who was offline learns of what waits here.
        setup.onConnect { socket in try await inbox.pushCount(socket.user.userId, socket: socket.id) }

        setup.on("markNotificationRead") { event in
            let id = try PayloadFields(event.arguments.first ?? .null).id("id")
            let unread = try await inbox.markRead(event.user.userId, id: id)
            return [["success": true, "unreadCount": .int(unread)]]
        }
        setup.on("markAllNotificationsRead") { event in
            let (updated, unread) = try await inbox.markAllRead(event.user.userId)
            return [["success": true, "updated": .int(updated), "unreadCount": .int(unread)]]
        }

        NotificationRoutes.install(on: setup, inbox: inbox, analytics: NotificationAnalytics(database: context.database),
                                   clock: context.clock)
        InternalEventRoutes.install(on: setup, center: center, settings: settings)

        setup.job(JobSpec(name: "purge-expired", schedule: settings.purgeSchedule) { run in
            let logBefore = run.startedAtMs - Int64(settings.analyticsRetentionDays) * 86_400_000
            let purged = try await store.purge(now: run.startedAtMs, logBefore: logBefore)
            metrics.purged.increment(by: purged)
            return JobOutcome(counts: ["purged": purged])
        })
    }

    /// Lets fallbacks already under way finish.
    public func stop() async {
        await background.drain()
    }
}
