// Services modules offer each other (contract 0.3). The interfaces live here so that neither side imports the other:
// Chat asks Notifications to notify offline members; Notifications asks SMS for urgent fallbacks; Reminders uses both.

public enum WellKnownServices {
    public static let notifications = ServiceKey<any NotificationSending>("notifications")
    public static let sms = ServiceKey<any SMSSending>("sms")
}

/// A notification to create: saved, then pushed to every socket of the user (or kept for their next connect).
public struct NotificationRequest: Sendable, Codable, Equatable {
    public var userId: String
    public var title: String
    public var message: String
    /// `workout_completed`, `goal_achieved`, `workout_reminder`, `chat_message`, `system`, `custom`, `weekly_report`.
    public var type: String
    public var data: JSONValue?
    /// `low`, `normal` (default), `high`, `urgent`.
    public var priority: String?
    /// Unix ms after which it is never shown and is purged.
    public var expiresAtMs: Int64?

    public init(userId: String, title: String, message: String, type: String, data: JSONValue? = nil,
                priority: String? = nil, expiresAtMs: Int64? = nil) {
        self.userId = userId
        self.title = title
        self.message = message
        self.type = type
        self.data = data
        self.priority = priority
        self.expiresAtMs = expiresAtMs
    }
}

/// What happened to a created notification.
public struct NotificationReceipt: Sendable, Codable, Equatable {
    public let id: String
    /// True when at least one socket of the user was connected and was sent it.
    public let deliveredRealtime: Bool
    public init(id: String, deliveredRealtime: Bool) {
        self.id = id
        self.deliveredRealtime = deliveredRealtime
    }
}

public protocol NotificationSending: Sendable {
    /// Creates a notification. Throws `ModuleError` (400) for an invalid request, naming the field.
    func notify(_ request: NotificationRequest) async throws -> NotificationReceipt
    /// Creates one from a configured template (`workout_reminder`, `weekly_report`, …) in the user's locale.
    func notify(userId: String, template: String, parameters: [String: String], type: String,
                priority: String?) async throws -> NotificationReceipt
}

/// An SMS to send. Either `body`, or `template` with `parameters` (rendered in `locale`, else the module's default).
public struct SMSRequest: Sendable, Codable, Equatable {
    /// Any common spelling of the number (`010-1234-5678`, `+82 10 1234 5678`); normalised to E.164 by the module.
    public var to: String
    public var body: String?
    public var template: String?
    public var parameters: [String: String]
    public var locale: String?
    /// For the message log and statistics (`otp`, `workout_reminder`, `notification_fallback`, `custom`).
    public var purpose: String

    public init(to: String, body: String? = nil, template: String? = nil, parameters: [String: String] = [:],
                locale: String? = nil, purpose: String = "custom") {
        self.to = to
        self.body = body
        self.template = template
        self.parameters = parameters
        self.locale = locale
        self.purpose = purpose
    }
}

public struct SMSReceipt: Sendable, Codable, Equatable {
    /// The module's message id (its log row).
    public let id: String
    /// `queued`, `sent`, `delivered`, `failed`, `undelivered`.
    public let status: String
    public init(id: String, status: String) {
        self.id = id
        self.status = status
    }
}

public protocol SMSSending: Sendable {
    /// Sends (with the module's retries). Throws `ModuleError` for a number or request that can never be sent.
    func send(_ request: SMSRequest) async throws -> SMSReceipt
}
