import Foundation
import GatewayProtocol

/// The users directory on the gateway's database: rows filled from token claims at connect and by the main backend
/// (`PUT /internal/users/:id`). Claims only ever fill fields in (a claim that is absent keeps what the backend set).
struct UsersTable: UsersDirectory {
    let database: any Database
    let clock: any ModuleClock

    /// The gateway's own schema, recorded under the module name `gateway`.
    static let migrations = [
        Migration(version: 1, [
            """
            CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT, email TEXT, picture TEXT, phone TEXT,
                sms_opt_in INTEGER NOT NULL DEFAULT 0, time_zone TEXT, locale TEXT, role TEXT, last_active_ms INTEGER,
                updated_ms INTEGER NOT NULL)
            """,
            "CREATE INDEX users_last_active ON users (last_active_ms)",
        ]),
    ]

    private static let columns = "id, name, email, picture, phone, sms_opt_in, time_zone, locale, role, last_active_ms"

    func user(_ id: String) async throws -> UserRecord? {
        try await database.query("SELECT \(Self.columns) FROM users WHERE id = ?", [.text(id)]).first.map(Self.record)
    }

    func users(_ ids: [String]) async throws -> [String: UserRecord] {
        var found: [String: UserRecord] = [:]
        // In chunks: SQLite and PostgreSQL both cap the number of bound parameters.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            for row in try await database.query("SELECT \(Self.columns) FROM users WHERE id IN (\(marks))", chunk.map { .text($0) }) {
                let record = Self.record(row)
                found[record.id] = record
            }
        }
        return found
    }

    func activeUsers(sinceMs: Int64, after: String?, limit: Int) async throws -> [UserRecord] {
        try await database.query(
            "SELECT \(Self.columns) FROM users WHERE last_active_ms >= ? AND id > ? ORDER BY id LIMIT ?",
            [.integer(sinceMs), .text(after ?? ""), .integer(Int64(max(0, limit)))]).map(Self.record)
    }

    /// At connect: what the token says about the user, and that they are active now.
    func recordConnect(_ identity: Identity) async throws {
        let claims = identity.claims
        let now = clock.nowMs()
        try await database.execute(
            """
            INSERT INTO users (id, name, email, picture, phone, time_zone, locale, role, last_active_ms, updated_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, users.name),
                email = COALESCE(excluded.email, users.email), picture = COALESCE(excluded.picture, users.picture),
                phone = COALESCE(excluded.phone, users.phone), time_zone = COALESCE(excluded.time_zone, users.time_zone),
                locale = COALESCE(excluded.locale, users.locale), role = excluded.role,
                last_active_ms = excluded.last_active_ms, updated_ms = excluded.updated_ms
            """,
            [.text(identity.userId), SQLValue(claims["name"]?.stringValue), SQLValue(claims["email"]?.stringValue),
             SQLValue(claims["picture"]?.stringValue), SQLValue(claims["phone_number"]?.stringValue),
             SQLValue(claims["zoneinfo"]?.stringValue), SQLValue(claims["locale"]?.stringValue), .text(identity.role),
             .integer(now), .integer(now)])
    }

    /// What the main backend sends; absent fields are left as they are, `null` clears one.
    struct Update: Decodable, Sendable {
        var name: Field<String> = .absent
        var email: Field<String> = .absent
        var picture: Field<String> = .absent
        var phone: Field<String> = .absent
        var smsOptIn: Bool?
        var timeZone: Field<String> = .absent
        var locale: Field<String> = .absent
        var role: Field<String> = .absent

        enum Field<Value: Decodable & Sendable>: Sendable {
            case absent, null, value(Value)
        }

        private enum Keys: String, CodingKey { case name, email, picture, phone, smsOptIn, timeZone, locale, role }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            func field(_ key: Keys) throws -> Field<String> {
                guard c.contains(key) else { return .absent }
                if try c.decodeNil(forKey: key) { return .null }
                let text = try c.decode(String.self, forKey: key)
                guard text.utf8.count <= 512 else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "at most 512 bytes")
                }
                return .value(text)
            }
            name = try field(.name)
            email = try field(.email)
            picture = try field(.picture)
            phone = try field(.phone)
            smsOptIn = try c.decodeIfPresent(Bool.self, forKey: .smsOptIn)
            timeZone = try field(.timeZone)
            locale = try field(.locale)
            role = try field(.role)
            if case .value(let zone) = timeZone, TimeZone(identifier: zone) == nil {
                throw DecodingError.dataCorruptedError(forKey: .timeZone, in: c,
                                                       debugDescription: "\"\(zone)\" is not an IANA time zone")
            }
        }
    }

    func apply(_ update: Update, to id: String) async throws -> UserRecord {
        var sets: [String] = []
        var values: [SQLValue] = []
        func set(_ column: String, _ field: Update.Field<String>) {
            switch field {
            case .absent: return
            case .null: sets.append("\(column) = NULL")
            case .value(let v): sets.append("\(column) = ?"); values.append(.text(v))
            }
        }
        set("name", update.name)
        set("email", update.email)
        set("picture", update.picture)
        set("phone", update.phone)
        set("time_zone", update.timeZone)
        set("locale", update.locale)
        set("role", update.role)
        if let optIn = update.smsOptIn { sets.append("sms_opt_in = ?"); values.append(.integer(optIn ? 1 : 0)) }
        let now = clock.nowMs()
        sets.append("updated_ms = ?")
        values.append(.integer(now))
        let assignments = sets.joined(separator: ", ")
        let parameters = values + [.text(id)]
        let columns = Self.columns
        // One transaction: the row exists and carries every field of the update, or nothing changed.
        let row = try await database.transaction { tx in
            try tx.execute("INSERT INTO users (id, updated_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", [.text(id), .integer(now)])
            try tx.execute("UPDATE users SET \(assignments) WHERE id = ?", parameters)
            return try tx.query("SELECT \(columns) FROM users WHERE id = ?", [.text(id)]).first
        }
        guard let row else { throw ModuleError("user \(id) could not be stored", status: 500) }
        return Self.record(row)
    }

    static func record(_ row: SQLRow) -> UserRecord {
        UserRecord(id: row["id"].stringValue ?? "", name: row["name"].stringValue, email: row["email"].stringValue,
                   picture: row["picture"].stringValue, phone: row["phone"].stringValue,
                   smsOptIn: row["sms_opt_in"].boolValue ?? false, timeZone: row["time_zone"].stringValue,
                   locale: row["locale"].stringValue, role: row["role"].stringValue,
                   lastActiveMs: row["last_active_ms"].int64Value)
    }
}
