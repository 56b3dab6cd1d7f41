import GatewayProtocol

/// Reads a JSON object field by field, with errors (400, `invalid_payload`) that name the field the caller must fix.
struct PayloadFields {
    let object: JSONObject

    init(_ value: JSONValue) throws(ModuleError) {
        guard case .object(let object) = value else { throw invalid("payload: expected a JSON object") }
        self.object = object
    }

    func string(_ name: String, maxBytes: Int) throws(ModuleError) -> String {
        guard let text = try optionalString(name, maxBytes: maxBytes) else { throw invalid("\(name) is required") }
        return text
    }

    func optionalString(_ name: String, maxBytes: Int) throws(ModuleError) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard case .string(let text) = value else { throw invalid("\(name): expected a string") }
        guard !text.isEmpty else { throw invalid("\(name): must not be empty") }
        guard text.utf8.count <= maxBytes else { throw invalid("\(name): at most \(maxBytes) bytes") }
        return text
    }

    /// A non-negative number (minutes, calories).
    func amount(_ name: String) throws(ModuleError) -> Double {
        guard let value = object[name], !value.isNull else { throw invalid("\(name) is required") }
        guard let number = value.doubleValue, number.isFinite else { throw invalid("\(name): expected a number") }
        guard number >= 0 else { throw invalid("\(name): must not be negative") }
        return number
    }

    /// A time given as an ISO 8601 string or as Unix milliseconds.
    func optionalTime(_ name: String) throws(ModuleError) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        switch value {
        case .string(let text):
            guard let ms = Timestamps.parseISO8601(text) else {
                throw invalid("\(name): expected an ISO 8601 date-time such as 2026-11-26T09:00:00Z")
            }
            return ms
        case .int(let ms) where ms >= 0: return Int64(ms)
        default: throw invalid("\(name): expected an ISO 8601 string or Unix milliseconds")
        }
    }

    func time(_ name: String) throws(ModuleError) -> Int64 {
        guard let ms = try optionalTime(name) else { throw invalid("\(name) is required") }
        return ms
    }

    /// Ids travel as strings (the old server's were Mongo ids) but clients may send the number.
    func id(_ name: String) throws(ModuleError) -> Int64 {
        guard let value = object[name], !value.isNull else { throw invalid("\(name) is required") }
        if let number = value.intValue { return Int64(number) }
        return try NotificationInbox.id(value.stringValue)
    }
}

func invalid(_ message: String) -> ModuleError { ModuleError(message, status: 400, code: "invalid_payload") }
