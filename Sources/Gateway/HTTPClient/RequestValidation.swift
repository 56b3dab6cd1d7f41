import GatewayProtocol

/// What curl would pass through unchecked and must not: bytes that would split a header line (request smuggling
/// through a value taken from user input), methods that are not tokens, credentials HTTP Basic cannot carry.
enum RequestValidation {
    static func check(_ request: OutboundRequest, label: String) throws(OutboundHTTPError) {
        guard isToken(request.method) else {
            throw OutboundHTTPError(.invalidRequest, "\(label): method \(request.method.debugDescription) is not an HTTP token")
        }
        for (name, value) in request.headers {
            guard isToken(name) else {
                throw OutboundHTTPError(.invalidRequest, "\(label): header name \(name.debugDescription) is not an HTTP token")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw OutboundHTTPError(.invalidRequest,
                                        "\(label): header \(name) has a CR, LF or NUL in its value: \(value.debugDescription)")
            }
        }
        if let (user, password) = request.basicAuth {
            // RFC 7617 §2: the user-id cannot contain a colon (the server splits at the first one), and neither part
            // may contain control characters.
            guard !user.contains(":") else {
                throw OutboundHTTPError(.invalidRequest, "\(label): a Basic auth user-id cannot contain ':' (RFC 7617)")
            }
            guard !(user + password).unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw OutboundHTTPError(.invalidRequest,
                                        "\(label): Basic auth credentials cannot contain control characters (RFC 7617)")
            }
        }
    }

    /// RFC 9110 §5.6.2 token.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
    }
}

/// How a request is named in error messages and logs: method and URL without credentials, query or fragment, which
/// may hold secrets (`https://user:pass@host`, `?token=`).
enum RequestLabel {
    static func redactedURL(_ url: String) -> String {
        var text = Substring(url)
        if let end = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<end] }
        guard let schemeEnd = text.range(of: "://") else { return String(text) }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = text[authorityStart...].firstIndex(of: "/") ?? text.endIndex
        if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") {
            return String(text[..<authorityStart]) + String(text[text.index(after: at)...])
        }
        return String(text)
    }
}
