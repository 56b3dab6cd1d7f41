import GatewayProtocol

/// Reads an event's object payload field by field, with errors that name the field and what was expected.
struct PayloadFields {
    let object: JSONObject

    init(_ value: JSONValue?) throws(ModuleError) {
        guard let object = value?.objectValue else {
            throw ModuleError("payload: expected an object such as {\"chatRoomId\": \"…\"}", code: "invalid_payload")
        }
        self.object = object
    }

    func string(_ key: String) throws(ModuleError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw ModuleError("\(key): expected a string, got \(value)", code: "invalid_payload")
        }
        return text
    }

    func requiredString(_ key: String) throws(ModuleError) -> String {
        guard let text = try string(key) else { throw ModuleError("\(key) is required", code: "invalid_payload") }
        return text
    }

    func room() throws(ModuleError) -> ChatRoomID { try ChatRoomID(requiredString("chatRoomId")) }

    /// A message id, as the string the wire carries or as a number.
    func messageId(_ key: String) throws(ModuleError) -> Int64? {
        guard let value = object[key], !value.isNull else { return nil }
        return try Self.messageId(value, field: key)
    }

    static func messageId(_ value: JSONValue, field: String) throws(ModuleError) -> Int64 {
        if let number = value.intValue, number > 0 { return Int64(number) }
        if let text = value.stringValue, let number = Int64(text), number > 0 { return number }
        throw ModuleError("\(field): expected a message id, got \(value)", code: "invalid_payload")
    }
}
