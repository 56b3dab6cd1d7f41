import GatewayProtocol
import Synchronization

/// One message to send, before it has a number in E.164 and a final text.
struct SMSDraft: Sendable {
    var to: String
    var template: String
    var parameters: [String: String] = [:]
    var body: String? = nil
    var locale: String? = nil
    var purpose: String
    /// Who gets the in-app notification if the SMS finally fails (nil: nobody to tell).
    var userId: String? = nil
}

/// What became of a message: its log row and final status.
struct SMSOutcome: Sendable {
    let id: Int64
    let status: String
    let failure: ProviderFailure?
    var succeeded: Bool { failure == nil }
}

/// The sending pipeline: validate, check the country allow-list and the daily cap, log, send with retries (looking up an
/// attempt whose outcome is unknown before trying again, so a timeout never makes a second message), and on final failure
/// count it and tell the user in the app.
final class SMSSender: SMSSending {
    static let maxBodyCharacters = 1_600

    private let configuration: SMSConfiguration
    private let provider: any SMSProvider
    private let context: any ModuleContext
    private let counters: WindowCounters
    private let notifications = Mutex<(any NotificationSending)?>(nil)

    init(configuration: SMSConfiguration, provider: any SMSProvider, context: any ModuleContext) {
        self.configuration = configuration
        self.provider = provider
        self.context = context
        counters = WindowCounters(database: context.database)
    }

    /// Other modules' services exist from `start` on.
    func attach(notifications service: (any NotificationSending)?) {
        notifications.withLock { $0 = service }
    }

    // MARK: SMSSending

    /// `parameters["userId"]`, when given, names the user to notify in the app if the SMS fails.
    func send(_ request: SMSRequest) async throws -> SMSReceipt {
        let draft = SMSDraft(to: request.to, template: request.template ?? SMSTemplates.custom, parameters: request.parameters,
                             body: request.body, locale: request.locale, purpose: request.purpose,
                             userId: request.parameters["userId"])
        let outcome = try await deliver(draft)
        return SMSReceipt(id: String(outcome.id), status: outcome.status)
    }

    // MARK: Pipeline

    /// The number in E.164, refused with a 400 naming the problem when it is not one or not in an allowed country.
    func validatedNumber(_ raw: String) throws(ModuleError) -> PhoneNumber {
        let number = try PhoneNumber(parsing: raw, defaultCountryCode: configuration.defaultCountryCode)
        guard configuration.allowedCountryCodes.contains(where: { number.e164.hasPrefix($0) }) else {
            throw ModuleError("phoneNumber: SMS to \(number.e164.prefix(3))… is not enabled (allowed: "
                              + configuration.allowedCountryCodes.joined(separator: ", ") + ")",
                              status: 400, code: "country_not_allowed")
        }
        return number
    }

    func deliver(_ draft: SMSDraft) async throws -> SMSOutcome {
        let number = try validatedNumber(draft.to)
        let text = try draft.body ?? configuration.templates.render(draft.template, locale: draft.locale,
                                                                     parameters: draft.parameters)
        guard !text.isEmpty else { throw ModuleError("message: must not be empty", status: 400, code: "invalid_payload") }
        guard text.count <= Self.maxBodyCharacters else {
            throw ModuleError("message: at most \(Self.maxBodyCharacters) characters", status: 400, code: "message_too_long")
        }
        let now = context.clock.nowMs()
        let storedBody: SQLValue = draft.purpose == "otp" ? .null : .text(text)
        let inserted = try await context.database.query("""
            INSERT INTO sms_messages (to_number, template, purpose, body, user_id, status, provider, attempts,
                                      created_at_ms, updated_at_ms)
            VALUES (?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?) RETURNING id
            """, [.text(number.e164), .text(draft.template), .text(draft.purpose), storedBody, SQLValue(draft.userId),
                  .text(provider.name), .integer(now), .integer(now)])
        guard let id = inserted.first?["id"].int64Value else { throw StorageError(.other, "sms_messages: no id returned") }

        let cap = try await counters.hit("daily", limit: configuration.dailyCap, windowMs: CivilTime.dayMs, nowMs: now)
        guard cap.allowed else {
            let failure = ProviderFailure(disposition: .permanent, code: "daily_cap",
                                          message: "the daily limit of \(configuration.dailyCap) SMS is reached")
            try await finish(id: id, number: number, draft: draft, text: text, attempts: 0, result: .failure(failure))
            throw ModuleError("SMS daily limit reached; try again tomorrow", status: 429, code: "daily_cap")
        }

        let message = OutgoingSMS(to: number, body: text, statusCallbackURL: statusCallbackURL)
        let (result, attempts) = await sendWithRetries(message, logID: id, startedMs: now)
        return try await finish(id: id, number: number, draft: draft, text: text, attempts: attempts, result: result)
    }

    private var statusCallbackURL: String? {
        guard configuration.twilio != nil, let base = configuration.publicBaseURL else { return nil }
        return base + SMSModule.statusCallbackPath
    }

    private func sendWithRetries(_ message: OutgoingSMS, logID: Int64,
                                 startedMs: Int64) async -> (Result<ProviderAcceptance, ProviderFailure>, Int) {
        var attempts = 0
        var lastFailure: ProviderFailure?
        while attempts < configuration.retry.maxAttempts {
            if let lastFailure {
                try? await Task.sleep(for: .milliseconds(backoffMs(afterAttempt: attempts)))
                if lastFailure.disposition == .outcomeUnknown, let found = await lookUp(message, since: startedMs) {
                    return (.success(found), attempts)
                }
            }
            attempts += 1
            do {
                return (.success(try await provider.send(message)), attempts)
            } catch {
                lastFailure = error
                context.log.warning("sms_attempt_failed", ["id": "\(logID)", "to": message.to.masked, "attempt": "\(attempts)",
                                                           "code": error.code, "message": message.to.redact(error.message)])
                if error.disposition == .permanent { break }
            }
        }
        if lastFailure?.disposition == .outcomeUnknown, let found = await lookUp(message, since: startedMs) {
            return (.success(found), attempts)
        }
        return (.failure(lastFailure ?? ProviderFailure(disposition: .permanent, code: "not_sent", message: "not sent")), attempts)
    }

    /// A message the provider created for an attempt that timed out, unless the log already owns its id.
    private func lookUp(_ message: OutgoingSMS, since startedMs: Int64) async -> ProviderAcceptance? {
        let known = (try? await context.database.query(
            "SELECT provider_id FROM sms_messages WHERE to_number = ? AND provider_id IS NOT NULL AND created_at_ms >= ?",
            [.text(message.to.e164), .integer(startedMs - CivilTime.dayMs)])) ?? []
        let found = await provider.findCreated(message, sinceMs: startedMs,
                                               excluding: Set(known.compactMap { $0["provider_id"].stringValue }))
        if let found { context.log.info("sms_adopted_after_timeout", ["to": message.to.masked, "provider_id": found.providerID]) }
        return found
    }

    /// Exponential backoff with jitter: half the doubled delay fixed, half random, capped.
    private func backoffMs(afterAttempt attempt: Int) -> Int {
        let retry = configuration.retry
        let exponential = min(retry.maxDelayMs, retry.baseDelayMs << min(attempt - 1, 20))
        let half = exponential / 2
        return half + context.crypto.randomInteger(below: exponential - half + 1)
    }

    @discardableResult
    private func finish(id: Int64, number: PhoneNumber, draft: SMSDraft, text: String, attempts: Int,
                        result: Result<ProviderAcceptance, ProviderFailure>) async throws -> SMSOutcome {
        let now = context.clock.nowMs()
        switch result {
        case .success(let accepted):
            try await context.database.execute("""
                UPDATE sms_messages SET status = ?, provider_id = ?, attempts = ?, updated_at_ms = ?, sent_at_ms = ?
                WHERE id = ?
                """, [.text(accepted.status), .text(accepted.providerID), .integer(Int64(attempts)), .integer(now),
                      accepted.status == "queued" ? .null : .integer(now), .integer(id)])
            context.metrics.counter("sent_total", help: "SMS accepted by the provider.", labels: ["purpose": draft.purpose]).increment()
            context.log.info("sms_sent", ["id": "\(id)", "to": number.masked, "provider": provider.name,
                                          "provider_id": accepted.providerID, "attempts": "\(attempts)"])
            return SMSOutcome(id: id, status: accepted.status, failure: nil)
        case .failure(let failure):
            try await context.database.execute("""
                UPDATE sms_messages SET status = 'failed', attempts = ?, error_code = ?, error_message = ?, updated_at_ms = ?
                WHERE id = ?
                """, [.integer(Int64(attempts)), .text(failure.code), .text(failure.message), .integer(now), .integer(id)])
            context.metrics.counter("failures_total", help: "SMS that finally failed, after retries.",
                                    labels: ["purpose": draft.purpose]).increment()
            context.log.error("sms_failed", ["id": "\(id)", "to": number.masked, "code": failure.code,
                                             "message": number.redact(failure.message), "attempts": "\(attempts)"])
            await notifyFailure(id: id, draft: draft, text: text)
            return SMSOutcome(id: id, status: "failed", failure: failure)
        }
    }

    /// The old design's fallback: what the SMS would have said, as an in-app notification. Never for one-time codes.
    private func notifyFailure(id: Int64, draft: SMSDraft, text: String) async {
        guard let userId = draft.userId, draft.purpose != "otp", let service = notifications.withLock({ $0 }) else { return }
        do {
            _ = try await service.notify(NotificationRequest(
                userId: userId, title: "FitMate", message: text, type: draft.purpose == "workout_reminder" ? "workout_reminder" : "system",
                data: .object(["smsId": .string(String(id)), "purpose": .string(draft.purpose), "fallback": "sms_failed"]),
                priority: "high"))
        } catch {
            context.log.warning("sms_fallback_notification_failed", ["id": "\(id)", "error": "\(error)"])
        }
    }
}
