import GatewayProtocol
import Synchronization

/// A test-only module beside Chat: it offers a Notifications service that records what it is asked, so the tests see
/// the offline `chat_message` notifications without the real Notifications module.
struct ChatProbeModule: GatewayModule {
    static let name = "chatprobe"
    static let contractVersion = ContractVersion.current
    static let notifications = Mutex<[NotificationRequest]>([])

    struct Recorder: NotificationSending {
        func notify(_ request: NotificationRequest) async throws -> NotificationReceipt {
            let count = ChatProbeModule.notifications.withLock { $0.append(request); return $0.count }
            return NotificationReceipt(id: "n\(count)", deliveredRealtime: false)
        }
        func notify(userId: String, template: String, parameters: [String: String], type: String,
                    priority: String?) async throws -> NotificationReceipt {
            try await notify(NotificationRequest(userId: userId, title: template, message: "", type: type, priority: priority))
        }
    }

    init(setup: any ModuleSetup) throws {
        setup.provide(WellKnownServices.notifications, Recorder() as any NotificationSending)
    }
}
