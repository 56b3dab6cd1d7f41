import GatewayProtocol
import Synchronization

/// A test-only module beside SMS: it offers a Notifications service that records what it is asked (to see the SMS
/// fallback), and keeps the runtime's context so tests can use the gateway's own crypto and storage (to sign status
/// callbacks and to age rows: expiry is tested by editing `expires_at_ms`, not with a fake clock).
struct SMSProbeModule: GatewayModule {
    static let name = "smsprobe"
    static let contractVersion = ContractVersion.current
    static let notifications = Mutex<[NotificationRequest]>([])
    static let context = Mutex<(any ModuleContext)?>(nil)

    struct Recorder: NotificationSending {
        func notify(_ request: NotificationRequest) async throws -> NotificationReceipt {
            let count = SMSProbeModule.notifications.withLock { $0.append(request); return $0.count }
            return NotificationReceipt(id: "n\(count)", deliveredRealtime: false)
        }
        func notify(userId: String, template: String, parameters: [String: String], type: String,
                    priority: String?) async throws -> NotificationReceipt {
            try await notify(NotificationRequest(userId: userId, title: template, message: "", type: type, priority: priority))
        }
    }

    init(setup: any ModuleSetup) throws {
        Self.context.withLock { $0 = setup.context }
        setup.provide(WellKnownServices.notifications, Recorder() as any NotificationSending)
    }
}
