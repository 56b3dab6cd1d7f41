import GatewayProtocol

/// The module's section `modules.sms`. Every limit has a default; a value of the wrong type stops the start-up with the
/// key that is wrong.
struct SMSConfiguration: Sendable {
    struct Twilio: Sendable {
        let accountSID: String
        let authToken: String
        /// A sender number in E.164, or nil when `messagingServiceSid` is used.
        let from: String?
        let messagingServiceSID: String?
        /// `https://api.twilio.com` in production; tests point it at a local fake.
        let baseURL: String
        /// The whole exchange of one attempt.
        let timeoutMs: Int
    }

    struct Retry: Sendable {
        /// Attempts in all, the first included.
        let maxAttempts: Int
        let baseDelayMs: Int
        let maxDelayMs: Int
    }

    struct Window: Sendable {
        let limit: Int
        let windowMs: Int64
    }

    struct OTP: Sendable {
        let ttlMs: Int64
        let maxAttempts: Int
        let requestsPerNumber: Window
        let requestsPerIP: Window
        let verificationsPerIP: Window
    }

    /// nil: the console provider (no credentials configured).
    let twilio: Twilio?
    /// Where Twilio reaches this gateway (`https://gw.fitmate.example`), for `StatusCallback` and signature checks;
    /// nil: status callbacks are not requested, and an incoming one is checked against the request's scheme and Host.
    let publicBaseURL: String?
    /// E.164 prefixes that may receive SMS (`+82`).
    let allowedCountryCodes: [String]
    let defaultCountryCode: String
    /// Messages per UTC day, all numbers together: the brake on SMS pumping.
    let dailyCap: Int
    let retry: Retry
    let otp: OTP
    let templates: SMSTemplates

    init(_ section: JSONObject) throws(ModuleError) {
        let reader = ConfigSection(section)
        if let twilio = try reader.object("twilio") {
            let twilioReader = ConfigSection(twilio, prefix: "twilio.")
            let sid = try twilioReader.string("accountSid")
            let token = try twilioReader.string("authToken")
            if sid != nil || token != nil {
                guard let sid, !sid.isEmpty else { throw ModuleError("twilio.accountSid: required with twilio.authToken") }
                guard let token, !token.isEmpty else { throw ModuleError("twilio.authToken: required with twilio.accountSid") }
                let from = try twilioReader.string("from")
                let service = try twilioReader.string("messagingServiceSid")
                guard (from == nil) != (service == nil) else {
                    throw ModuleError("twilio: set exactly one of twilio.from (a sender number) and twilio.messagingServiceSid")
                }
                var base = try twilioReader.string("baseURL") ?? "https://api.twilio.com"
                while base.hasSuffix("/") { base.removeLast() }
                self.twilio = Twilio(accountSID: sid, authToken: token, from: from, messagingServiceSID: service,
                                     baseURL: base, timeoutMs: try twilioReader.int("timeoutMs", default: 10_000, min: 1))
            } else {
                self.twilio = nil
            }
        } else {
            twilio = nil
        }
        var publicBase = try reader.string("publicBaseURL")
        while publicBase?.hasSuffix("/") == true { publicBase?.removeLast() }
        publicBaseURL = publicBase
        allowedCountryCodes = try reader.strings("allowedCountryCodes") ?? ["+82"]
        for code in allowedCountryCodes where !(code.hasPrefix("+") && code.count > 1 && code.dropFirst().allSatisfy(\.isNumber)) {
            throw ModuleError("allowedCountryCodes: '\(code)' is not a country code like +82")
        }
        defaultCountryCode = try reader.string("defaultCountryCode") ?? "82"
        dailyCap = try reader.int("dailyCap", default: 1_000, min: 0)
        if let retry = try reader.object("retry") {
            let r = ConfigSection(retry, prefix: "retry.")
            self.retry = Retry(maxAttempts: try r.int("maxAttempts", default: 4, min: 1),
                               baseDelayMs: try r.int("baseDelayMs", default: 500, min: 0),
                               maxDelayMs: try r.int("maxDelayMs", default: 8_000, min: 0))
        } else {
            retry = Retry(maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8_000)
        }
        let o = try reader.section("otp")
        otp = OTP(ttlMs: Int64(try o.int("ttlSeconds", default: 300, min: 1)) * 1000,
                  maxAttempts: try o.int("maxAttempts", default: 5, min: 1),
                  requestsPerNumber: Window(limit: try o.int("requestsPerNumber", default: 3, min: 1),
                                            windowMs: Int64(try o.int("numberWindowSeconds", default: 600, min: 1)) * 1000),
                  requestsPerIP: Window(limit: try o.int("requestsPerIP", default: 10, min: 1),
                                        windowMs: Int64(try o.int("ipWindowSeconds", default: 3_600, min: 1)) * 1000),
                  verificationsPerIP: Window(limit: try o.int("verificationsPerIP", default: 30, min: 1),
                                             windowMs: Int64(try o.int("verificationWindowSeconds", default: 600, min: 1)) * 1000))
        templates = try SMSTemplates(configured: try reader.object("templates"),
                                     defaultLocale: try reader.string("defaultLocale") ?? "ko",
                                     appURL: try reader.string("appURL") ?? "")
    }
}
