import GatewayProtocol

/// Twilio's webhook signature: base64 of HMAC-SHA1, keyed with the auth token, over the full URL Twilio requested
/// followed by every POST parameter sorted by name, each name then value, with no separators.
struct TwilioSignature: Sendable {
    let authToken: String
    let crypto: any ModuleCrypto

    func expected(url: String, parameters: [(String, String)]) -> [UInt8] {
        var data = url
        // Sorted by name (bytewise, as Twilio's libraries do); equal names keep their order.
        for (name, value) in parameters.enumerated().sorted(by: { a, b in
            a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8)
                || (a.element.0 == b.element.0 && a.offset < b.offset)
        }).map(\.element) {
            data += name + value
        }
        return crypto.hmacSHA1(key: Array(authToken.utf8), data: Array(data.utf8))
    }

    func isValid(signature header: String?, url: String, parameters: [(String, String)]) -> Bool {
        guard let header, let given = crypto.base64Decode(header) else { return false }
        return crypto.constantTimeEquals(given, expected(url: url, parameters: parameters))
    }
}
