import GatewayProtocol

/// One message as a provider sends it.
struct OutgoingSMS: Sendable {
    let to: PhoneNumber
    let body: String
    /// Where the provider reports delivery, when the gateway is reachable from it.
    let statusCallbackURL: String?
}

/// What the provider said it did with a message.
struct ProviderAcceptance: Sendable, Equatable {
    let providerID: String
    /// The provider's status mapped to the module's (`queued`, `sent`, …).
    let status: String
}

/// Why a provider did not take a message, and what that means for retrying.
struct ProviderFailure: Error, Sendable, Equatable {
    enum Disposition: Sendable, Equatable {
        /// The request is wrong and stays wrong (invalid number, bad credentials): never retried.
        case permanent
        /// Nothing was sent (429, 5xx, no connection): retried.
        case retryable
        /// The provider may have sent it (timeout, broken transfer): looked up before any retry.
        case outcomeUnknown
    }
    let disposition: Disposition
    /// The provider's error code (Twilio's `21211`) or the module's (`timeout`, `http_500`).
    let code: String
    let message: String
}

protocol SMSProvider: Sendable {
    var name: String { get }
    func send(_ message: OutgoingSMS) async throws(ProviderFailure) -> ProviderAcceptance
    /// A message to `message.to` with exactly this body that the provider created at or after `sinceMs` and whose id is
    /// not in `excluding`: the one an attempt with an unknown outcome may have created.
    func findCreated(_ message: OutgoingSMS, sinceMs: Int64, excluding: Set<String>) async -> ProviderAcceptance?
}

/// The provider when no credentials are configured: nothing leaves the machine, one masked log line per message (never
/// the text, which may hold a one-time code).
struct ConsoleProvider: SMSProvider {
    let log: any ModuleLog
    let crypto: any ModuleCrypto
    var name: String { "console" }

    func send(_ message: OutgoingSMS) async throws(ProviderFailure) -> ProviderAcceptance {
        let id = "console-" + crypto.randomBytes(8).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        log.info("sms_console", ["to": message.to.masked, "chars": "\(message.body.count)", "id": id])
        return ProviderAcceptance(providerID: id, status: "sent")
    }

    func findCreated(_ message: OutgoingSMS, sinceMs: Int64, excluding: Set<String>) async -> ProviderAcceptance? { nil }
}
