import GatewayProtocol

/// One-time codes for phone verification: 6 digits from the CSPRNG, stored only as HMAC-SHA256 with a per-install pepper,
/// valid `ttl`, used once, at most `maxAttempts` tries per code (a try after that fails even with the right code).
struct OTPService: Sendable {
    let configuration: SMSConfiguration.OTP
    let context: any ModuleContext
    let pepper: [UInt8]

    static let codeDigits = 6

    /// Loads the pepper, making it on first start. Two nodes starting at once both insert-or-ignore, then read the winner.
    static func loadPepper(_ database: any Database, crypto: any ModuleCrypto) async throws -> [UInt8] {
        try await database.execute("INSERT INTO sms_secrets (name, value) VALUES ('otp_pepper', ?) ON CONFLICT (name) DO NOTHING",
                                   [.blob(crypto.randomBytes(32))])
        guard let pepper = try await database.query("SELECT value FROM sms_secrets WHERE name = 'otp_pepper'", []).first?["value"].blobValue,
              pepper.count == 32 else { throw StorageError(.other, "sms_secrets: otp_pepper is missing or malformed") }
        return pepper
    }

    /// A fresh code for `number`, replacing any earlier one.
    func issue(for number: PhoneNumber) async throws -> String {
        let code = String(context.crypto.randomInteger(below: 1_000_000))
        let padded = String(repeating: "0", count: Self.codeDigits - code.count) + code
        let now = context.clock.nowMs()
        try await context.database.execute("""
            INSERT INTO sms_otp_codes (phone, code_hash, attempts, created_at_ms, expires_at_ms) VALUES (?, ?, 0, ?, ?)
            ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, attempts = 0,
                created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms
            """, [.text(number.e164), .blob(hash(padded, for: number)), .integer(now), .integer(now + configuration.ttlMs)])
        return padded
    }

    /// Forgets the code of a number whose SMS could not be sent.
    func revoke(for number: PhoneNumber) async throws {
        try await context.database.execute("DELETE FROM sms_otp_codes WHERE phone = ?", [.text(number.e164)])
    }

    /// Whether `code` is the live code of `number`. Every call with a live code counts as a try; the right code deletes it.
    func verify(_ code: String, for number: PhoneNumber) async throws -> Bool {
        let now = context.clock.nowMs()
        let given = hash(code, for: number)
        let maxAttempts = configuration.maxAttempts
        let crypto = context.crypto
        return try await context.database.transaction { sql in
            guard let row = try sql.query("SELECT code_hash, attempts, expires_at_ms FROM sms_otp_codes WHERE phone = ?",
                                          [.text(number.e164)]).first else { return false }
            let attempts = row["attempts"].intValue ?? maxAttempts
            guard (row["expires_at_ms"].int64Value ?? 0) > now else {
                try sql.execute("DELETE FROM sms_otp_codes WHERE phone = ?", [.text(number.e164)])
                return false
            }
            guard attempts < maxAttempts else { return false }
            try sql.execute("UPDATE sms_otp_codes SET attempts = attempts + 1 WHERE phone = ?", [.text(number.e164)])
            guard crypto.constantTimeEquals(given, row["code_hash"].blobValue ?? []) else { return false }
            try sql.execute("DELETE FROM sms_otp_codes WHERE phone = ?", [.text(number.e164)])
            return true
        }
    }

    /// Bound to the number, so a code hash cannot be replayed for another number.
    private func hash(_ code: String, for number: PhoneNumber) -> [UInt8] {
        context.crypto.hmacSHA256(key: pepper, data: Array((number.e164 + ":" + code).utf8))
    }
}
