import GatewayProtocol

/// A phone number in E.164 (`+821012345678`), the only form the module stores, sends or compares.
struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    let e164: String

    var description: String { e164 }

    /// For log lines: the country code and the last two digits only (`+82*******78`).
    var masked: String {
        let digits = Array(e164)
        guard digits.count > 6 else { return "+***" }
        return String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 5) + String(digits.suffix(2))
    }

    /// `text` with this number masked: providers' error messages quote the number, and logs must not.
    func redact(_ text: String) -> String {
        text.replacing(e164, with: masked)
    }

    /// Reads the spellings FitMate's users and backend send: `010-1234-5678`, `01012345678`, `10-1234-5678` (the old
    /// server's short form), `+82 10 1234 5678`, `+82 010…` (a trunk 0 kept by mistake), `82…`, `0082…`, with spaces,
    /// dashes, dots or parentheses. A number without a country code is taken as Korean (`defaultCountryCode`).
    init(parsing raw: String, defaultCountryCode: String = "82") throws(ModuleError) {
        var text = ""
        for character in raw {
            if character == " " || character == "-" || character == "." || character == "(" || character == ")" { continue }
            text.append(character)
        }
        let invalid = ModuleError("phoneNumber: '\(Self.preview(raw))' is not a phone number; use E.164 (+821012345678) or 010-1234-5678",
                                  status: 400, code: "invalid_phone_number")
        var digits: Substring
        if text.hasPrefix("+") {
            digits = text.dropFirst()
        } else if text.hasPrefix("00") {
            digits = text.dropFirst(2)
        } else if text.hasPrefix("0") {
            digits = Substring(defaultCountryCode) + text.dropFirst()
        } else if text.hasPrefix(defaultCountryCode) {
            digits = Substring(text)
        } else if text.hasPrefix("1"), defaultCountryCode == "82" {
            // The old server's `10-…` form: a Korean mobile number without its trunk 0.
            digits = Substring(defaultCountryCode) + text
        } else {
            throw invalid
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0" else { throw invalid }
        if digits.hasPrefix("82") {
            var national = digits.dropFirst(2)
            if national.hasPrefix("0") { national = national.dropFirst() }
            // Korean mobile numbers (010, 011, 016–019) are 9 or 10 digits without the trunk 0; SMS goes to mobiles only.
            guard national.hasPrefix("1"), national.count == 9 || national.count == 10 else { throw invalid }
            digits = "82" + national
        }
        guard (8...15).contains(digits.count) else { throw invalid }
        e164 = "+" + digits
    }

    /// Enough of what the caller sent to recognise it, never a whole long string.
    private static func preview(_ raw: String) -> String {
        raw.count > 24 ? String(raw.prefix(24)) + "…" : raw
    }
}
