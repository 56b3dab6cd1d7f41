import GatewayProtocol
import Synchronization

/// The REST routes, with the old server's paths and bodies (`{phoneNumber, message}`, `{phoneNumber, userName,
/// workoutType}`, `{phoneNumber, userName, exercises}`) and answers (`{success, message}`), plus an optional `userId` for
/// the in-app fallback.
final class SMSRoutes: Sendable {
    private let configuration: SMSConfiguration
    private let sender: SMSSender
    private let context: any ModuleContext
    private let counters: WindowCounters
    /// Set in `start`, once the pepper is loaded; the OTP routes are not served before the gateway listens.
    private let otp = Mutex<OTPService?>(nil)

    init(configuration: SMSConfiguration, sender: SMSSender, context: any ModuleContext) {
        self.configuration = configuration
        self.sender = sender
        self.context = context
        counters = WindowCounters(database: context.database)
    }

    func start() async throws {
        let pepper = try await OTPService.loadPepper(context.database, crypto: context.crypto)
        otp.withLock { $0 = OTPService(configuration: configuration.otp, context: context, pepper: pepper) }
    }

    func install(on setup: any ModuleSetup) {
        setup.route("POST", "/sms/send", access: .adminOrService) { [self] request in try await send(request) }
        setup.route("POST", "/sms/workout-reminder", access: .adminOrService) { [self] request in try await workoutReminder(request) }
        setup.route("POST", "/sms/workout-recommendation", access: .adminOrService) { [self] request in
            try await workoutRecommendation(request)
        }
        setup.route("POST", "/sms/request-otp", access: .public) { [self] request in try await requestOTP(request) }
        setup.route("POST", "/sms/verify-otp", access: .public) { [self] request in try await verifyOTP(request) }
        setup.route("POST", SMSModule.statusCallbackPath, access: .public) { [self] request in try await statusCallback(request) }
        setup.route("GET", "/sms/statistics", access: .admin) { [self] request in try await statistics(request) }
    }

    // MARK: Sending

    struct SendBody: Decodable, Sendable {
        let phoneNumber: String
        let message: String
        let userId: String?
    }

    struct ReminderBody: Decodable, Sendable {
        let phoneNumber: String
        let userName: String
        let workoutType: String
        let userId: String?
        let locale: String?
    }

    struct RecommendationBody: Decodable, Sendable {
        let phoneNumber: String
        let userName: String
        let exercises: [String]
        let userId: String?
        let locale: String?
    }

    struct SendAnswer: Encodable, Sendable {
        let success: Bool
        let message: String
        let id: String
        let status: String
        let errorCode: String?
    }

    private func send(_ request: RouteRequest) async throws -> RouteResponse {
        let body = try request.decode(SendBody.self)
        return try await answer(SMSDraft(to: body.phoneNumber, template: SMSTemplates.custom, body: body.message,
                                         purpose: "custom", userId: body.userId))
    }

    private func workoutReminder(_ request: RouteRequest) async throws -> RouteResponse {
        let body = try request.decode(ReminderBody.self)
        return try await answer(SMSDraft(to: body.phoneNumber, template: SMSTemplates.workoutReminder,
                                         parameters: ["userName": body.userName, "workoutType": body.workoutType],
                                         locale: body.locale, purpose: "workout_reminder", userId: body.userId))
    }

    private func workoutRecommendation(_ request: RouteRequest) async throws -> RouteResponse {
        let body = try request.decode(RecommendationBody.self)
        return try await answer(SMSDraft(to: body.phoneNumber, template: SMSTemplates.workoutRecommendation,
                                         parameters: ["userName": body.userName, "exercises": body.exercises.joined(separator: ", ")],
                                         locale: body.locale, purpose: "workout_recommendation", userId: body.userId))
    }

    /// 200 `{success: true}` when the provider took the message; a provider failure is 502 with `success: false` and
    /// its code, so a caller can tell it from a request it must fix (400).
    private func answer(_ draft: SMSDraft) async throws -> RouteResponse {
        let outcome = try await sender.deliver(draft)
        return try .json(SendAnswer(success: outcome.succeeded, message: outcome.succeeded ? "SMS 전송 성공" : "SMS 전송 실패",
                                    id: String(outcome.id), status: outcome.status, errorCode: outcome.failure?.code),
                         status: outcome.succeeded ? 200 : 502)
    }

    // MARK: One-time codes

    struct RequestOTPBody: Decodable, Sendable {
        let phoneNumber: String
        let locale: String?
    }

    struct VerifyOTPBody: Decodable, Sendable {
        let phoneNumber: String
        let otpCode: String
    }

    struct OTPAnswer: Encodable, Sendable {
        let success: Bool
        let message: String
    }

    private var otpService: OTPService {
        get throws { guard let service = otp.withLock({ $0 }) else { throw ModuleError("not ready", status: 503) }; return service }
    }

    /// Same answer for every valid number, registered or not.
    private func requestOTP(_ request: RouteRequest) async throws -> RouteResponse {
        let body = try request.decode(RequestOTPBody.self)
        let number = try sender.validatedNumber(body.phoneNumber)
        let limits = configuration.otp
        if let refusal = try await limit("otp-request-ip:" + Self.clientIP(request.remoteAddress), limits.requestsPerIP) { return refusal }
        if let refusal = try await limit("otp-request-number:" + number.e164, limits.requestsPerNumber) { return refusal }
        let service = try otpService
        let code = try await service.issue(for: number)
        let outcome = try await sender.deliver(SMSDraft(to: number.e164, template: SMSTemplates.otp, parameters: ["code": code],
                                                        locale: body.locale, purpose: "otp"))
        guard outcome.succeeded else {
            try await service.revoke(for: number)
            return try .json(OTPAnswer(success: false, message: "SMS 전송 실패"), status: 502)
        }
        return try .json(OTPAnswer(success: true, message: "인증번호를 전송했습니다."))
    }

    private func verifyOTP(_ request: RouteRequest) async throws -> RouteResponse {
        let body = try request.decode(VerifyOTPBody.self)
        let number = try sender.validatedNumber(body.phoneNumber)
        if let refusal = try await limit("otp-verify-ip:" + Self.clientIP(request.remoteAddress), configuration.otp.verificationsPerIP) {
            return refusal
        }
        let verified = try await otpService.verify(body.otpCode, for: number)
        context.log.info("sms_otp_verification", ["to": number.masked, "verified": verified ? "true" : "false"])
        return try .json(verified ? OTPAnswer(success: true, message: "인증 성공")
                                  : OTPAnswer(success: false, message: "인증번호가 일치하지 않습니다."))
    }

    /// The address without its port (`203.0.113.7:51234` → `203.0.113.7`, `[2001:db8::1]:443` → `2001:db8::1`): a
    /// client opens a new port per connection, not a new address.
    static func clientIP(_ remoteAddress: String) -> String {
        if remoteAddress.hasPrefix("["), let close = remoteAddress.firstIndex(of: "]") {
            return String(remoteAddress[remoteAddress.index(after: remoteAddress.startIndex)..<close])
        }
        guard let colon = remoteAddress.lastIndex(of: ":"), remoteAddress.firstIndex(of: ":") == colon else { return remoteAddress }
        return String(remoteAddress[..<colon])
    }

    /// nil when within the limit, else the 429 with `Retry-After` (seconds) to send.
    private func limit(_ bucket: String, _ window: SMSConfiguration.Window) async throws -> RouteResponse? {
        let verdict = try await counters.hit(bucket, limit: window.limit, windowMs: window.windowMs, nowMs: context.clock.nowMs())
        guard !verdict.allowed else { return nil }
        context.metrics.counter("otp_rate_limited_total", help: "OTP requests refused by a rate limit.",
                                labels: ["limit": String(bucket.prefix { $0 != ":" })]).increment()
        var body: [UInt8] = []
        JSONValue.object(["error": "Too Many Requests", "message": .string("too many requests; try again in \(verdict.retryAfterSeconds) s"),
                          "status": 429, "code": "rate_limited"]).serialize(into: &body)
        return RouteResponse(status: 429, headers: [("Content-Type", "application/json"),
                                                    ("Retry-After", String(verdict.retryAfterSeconds))], body: body)
    }

    // MARK: Delivery reports

    /// Twilio's status callback: refused (403) unless `X-Twilio-Signature` verifies against the public URL and the
    /// parameters; a status never moves backwards (a late `sent` does not undo `delivered`).
    private func statusCallback(_ request: RouteRequest) async throws -> RouteResponse {
        guard let twilio = configuration.twilio else {
            throw ModuleError("status callbacks need twilio credentials", status: 404, code: "not_configured")
        }
        guard let parameters = FormEncoding.decode(request.body) else {
            throw ModuleError("body: not application/x-www-form-urlencoded", status: 400, code: "invalid_payload")
        }
        let base = configuration.publicBaseURL ?? "\(request.scheme)://\(request.header("Host") ?? "")"
        let url = base + request.path + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        let signature = TwilioSignature(authToken: twilio.authToken, crypto: context.crypto)
        guard signature.isValid(signature: request.header("X-Twilio-Signature"), url: url, parameters: parameters) else {
            context.log.warning("sms_status_callback_forged", ["remote": request.remoteAddress])
            throw ModuleError("X-Twilio-Signature does not verify", status: 403, code: "invalid_signature")
        }
        let fields = Dictionary(parameters, uniquingKeysWith: { first, _ in first })
        guard let sid = fields["MessageSid"] ?? fields["SmsSid"], let twilioStatus = fields["MessageStatus"] ?? fields["SmsStatus"] else {
            throw ModuleError("MessageSid and MessageStatus are required", status: 400, code: "invalid_payload")
        }
        let status = TwilioProvider.moduleStatus(twilioStatus)
        let earlier: [String] = switch status {
        case "queued": ["queued"]
        case "sent": ["queued", "sent"]
        default: ["queued", "sent", status]
        }
        let now = context.clock.nowMs()
        let placeholders = earlier.map { _ in "?" }.joined(separator: ", ")
        try await context.database.execute("""
            UPDATE sms_messages SET status = ?, updated_at_ms = ?,
                error_code = COALESCE(?, error_code),
                sent_at_ms = COALESCE(sent_at_ms, ?),
                delivered_at_ms = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at_ms END
            WHERE provider_id = ? AND status IN (\(placeholders))
            """, [.text(status), .integer(now), SQLValue(fields["ErrorCode"].flatMap { $0.isEmpty ? nil : $0 }),
                  status == "queued" ? .null : .integer(now), .text(status), .integer(now), .text(sid)]
                 + earlier.map { .text($0) })
        return .noContent()
    }

    // MARK: Statistics

    struct Statistics: Encodable, Sendable {
        let startDate: String
        let endDate: String
        let total: Int
        let byStatus: [String: Int]
        /// Delivered among the messages whose delivery is settled (delivered, undelivered, failed); 0 when none is.
        let deliveryRate: Double
    }

    private func statistics(_ request: RouteRequest) async throws -> RouteResponse {
        let range = try StatisticsRange(query: request.query)
        let rows = try await context.database.query("""
            SELECT status, COUNT(*) AS n FROM sms_messages WHERE created_at_ms >= ? AND created_at_ms < ? GROUP BY status
            """, [.integer(range.startMs), .integer(range.endMs)])
        var byStatus = ["queued": 0, "sent": 0, "delivered": 0, "failed": 0, "undelivered": 0]
        for row in rows { byStatus[row["status"].stringValue ?? "unknown", default: 0] += row["n"].intValue ?? 0 }
        let settled = byStatus["delivered"]! + byStatus["undelivered"]! + byStatus["failed"]!
        return try .json(Statistics(startDate: request.query["startDate"] ?? "", endDate: request.query["endDate"] ?? "",
                                    total: byStatus.values.reduce(0, +), byStatus: byStatus,
                                    deliveryRate: settled == 0 ? 0 : Double(byStatus["delivered"]!) / Double(settled)))
    }
}
