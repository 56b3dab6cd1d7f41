import GatewayProtocol

/// Twilio's Programmable Messaging REST API through the gateway's outbound HTTP client:
/// `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form fields `To`, `From` or `MessagingServiceSid`, `Body`,
/// `StatusCallback`; HTTP Basic auth with the account SID and auth token) and, to find out whether an attempt that timed
/// out was sent after all, `GET` on the same resource filtered by `To` and `DateSent>`.
struct TwilioProvider: SMSProvider {
    let settings: SMSConfiguration.Twilio
    let http: any OutboundHTTPClient
    var name: String { "twilio" }

    private var messagesURL: String { "\(settings.baseURL)/2010-04-01/Accounts/\(settings.accountSID)/Messages.json" }

    func send(_ message: OutgoingSMS) async throws(ProviderFailure) -> ProviderAcceptance {
        var fields = [("To", message.to.e164)]
        if let from = settings.from { fields.append(("From", from)) }
        if let service = settings.messagingServiceSID { fields.append(("MessagingServiceSid", service)) }
        fields.append(("Body", message.body))
        if let callback = message.statusCallbackURL { fields.append(("StatusCallback", callback)) }
        let request = OutboundRequest(
            method: "POST", url: messagesURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(FormEncoding.encode(fields).utf8), timeoutMs: settings.timeoutMs,
            basicAuth: (user: settings.accountSID, password: settings.authToken))
        let response: OutboundResponse
        do { response = try await http.send(request) } catch { throw Self.failure(error) }
        guard response.status == 201 || response.status == 200 else { throw Self.failure(response) }
        let json = try? JSONValue.parse(bytes: response.body)
        guard let sid = json?["sid"]?.stringValue else {
            // Accepted but unreadable: the message may exist, so it is treated like a timeout (looked up, not resent).
            throw ProviderFailure(disposition: .outcomeUnknown, code: "bad_response",
                                  message: "Twilio answered \(response.status) without a message sid")
        }
        return ProviderAcceptance(providerID: sid, status: Self.moduleStatus(json?["status"]?.stringValue ?? "queued"))
    }

    /// Two look-ups: `To` + `DateSent>` (messages sent since the attempt's day), then, when that finds nothing, `To` alone
    /// (Twilio's newest first), because a message still `queued` or `sending` has no `date_sent` yet and the date filter
    /// cannot see it — and a message that timed out a moment ago is usually exactly that.
    func findCreated(_ message: OutgoingSMS, sinceMs: Int64, excluding: Set<String>) async -> ProviderAcceptance? {
        let byDate = [("To", message.to.e164), ("DateSent>", CivilTime.dateString(ms: sinceMs - 60_000)), ("PageSize", "50")]
        if let found = await list(byDate, matching: message, sinceMs: sinceMs, excluding: excluding) { return found }
        return await list([("To", message.to.e164), ("PageSize", "50")], matching: message, sinceMs: sinceMs, excluding: excluding)
    }

    private func list(_ query: [(String, String)], matching message: OutgoingSMS, sinceMs: Int64,
                      excluding: Set<String>) async -> ProviderAcceptance? {
        let request = OutboundRequest(method: "GET", url: messagesURL + "?" + FormEncoding.encode(query),
                                      headers: [("Accept", "application/json")], timeoutMs: settings.timeoutMs,
                                      basicAuth: (user: settings.accountSID, password: settings.authToken))
        guard let response = try? await http.send(request), response.status == 200,
              let messages = (try? JSONValue.parse(bytes: response.body))?["messages"]?.arrayValue else { return nil }
        // Twilio's clock and ours differ a little; a minute of slack, and the ids already logged keep an older identical
        // message (the same reminder sent twice today) from being adopted.
        for item in messages {
            guard let sid = item["sid"]?.stringValue, !excluding.contains(sid),
                  item["body"]?.stringValue == message.body, item["to"]?.stringValue == message.to.e164 else { continue }
            if let created = item["date_created"]?.stringValue.flatMap(CivilTime.parseRFC2822), created < sinceMs - 60_000 {
                continue
            }
            return ProviderAcceptance(providerID: sid, status: Self.moduleStatus(item["status"]?.stringValue ?? "queued"))
        }
        return nil
    }

    /// Twilio's message statuses in the module's five.
    static func moduleStatus(_ twilioStatus: String) -> String {
        switch twilioStatus {
        case "sent": return "sent"
        case "delivered", "read": return "delivered"
        case "undelivered": return "undelivered"
        case "failed", "canceled": return "failed"
        default: return "queued"
        }
    }

    static func failure(_ error: OutboundHTTPError) -> ProviderFailure {
        switch error.kind {
        case .connect, .overloaded:
            return ProviderFailure(disposition: .retryable, code: error.kind == .connect ? "connect" : "overloaded",
                                   message: error.message)
        case .timeout:
            return ProviderFailure(disposition: .outcomeUnknown, code: "timeout", message: error.message)
        case .transfer:
            return ProviderFailure(disposition: .outcomeUnknown, code: "transfer", message: error.message)
        case .tls, .invalidRequest:
            return ProviderFailure(disposition: .permanent, code: error.kind == .tls ? "tls" : "invalid_request",
                                   message: error.message)
        }
    }

    /// Twilio's error body is `{code, message, more_info, status}`; 429 and 5xx are worth another try, other 4xx are not.
    static func failure(_ response: OutboundResponse) -> ProviderFailure {
        let json = try? JSONValue.parse(bytes: response.body)
        let code = json?["code"]?.intValue.map(String.init) ?? "http_\(response.status)"
        let message = json?["message"]?.stringValue ?? "Twilio answered HTTP \(response.status)"
        let retryable = response.status == 429 || response.status >= 500
        return ProviderFailure(disposition: retryable ? .retryable : .permanent, code: code, message: message)
    }
}
