// The users directory (contract 0.3): who FitMate's users are, filled from token claims at connect and by the main
// backend through `PUT /internal/users/:id`.

public struct UserRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String?
    public var email: String?
    public var picture: String?
    /// E.164 when known (`+821012345678`).
    public var phone: String?
    public var smsOptIn: Bool
    /// IANA name (`Asia/Seoul`); modules fall back to their configured default when nil.
    public var timeZone: String?
    /// BCP 47 language (`ko`, `en`); modules fall back to their default (Korean for FitMate's texts).
    public var locale: String?
    public var role: String?
    /// Unix ms of the last connect or event.
    public var lastActiveMs: Int64?

    public init(id: String, name: String? = nil, email: String? = nil, picture: String? = nil, phone: String? = nil,
                smsOptIn: Bool = false, timeZone: String? = nil, locale: String? = nil, role: String? = nil,
                lastActiveMs: Int64? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.picture = picture
        self.phone = phone
        self.smsOptIn = smsOptIn
        self.timeZone = timeZone
        self.locale = locale
        self.role = role
        self.lastActiveMs = lastActiveMs
    }
}

public protocol UsersDirectory: Sendable {
    func user(_ id: String) async throws -> UserRecord?
    /// The known users among `ids`, by id (unknown ids are absent).
    func users(_ ids: [String]) async throws -> [String: UserRecord]
    /// Users active at or after `sinceMs`, ordered by id, at most `limit` after the id `after` (paging for jobs).
    func activeUsers(sinceMs: Int64, after: String?, limit: Int) async throws -> [UserRecord]
}
