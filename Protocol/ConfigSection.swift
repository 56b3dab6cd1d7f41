// Reading a module's configuration (contract 0.3): typed reads of one section of `modules.<name>`, each error naming the
// full dotted key, so a bad file stops the start-up with a message that says what to fix.

public struct ConfigSection: Sendable {
    public let values: JSONObject
    /// The dotted path of this section inside the module's configuration, with its trailing dot (`"rateLimit."`).
    public let prefix: String

    public init(_ values: JSONObject, prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    /// A nested section; absent or null reads as empty.
    public func section(_ key: String) throws(ModuleError) -> ConfigSection {
        ConfigSection(try object(key) ?? [:], prefix: prefix + key + ".")
    }

    public func string(_ key: String) throws(ModuleError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ModuleError("\(prefix)\(key): must be a string, got \(value)") }
        return text
    }

    public func strings(_ key: String) throws(ModuleError) -> [String]? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let items = value.arrayValue else { throw ModuleError("\(prefix)\(key): must be an array of strings, got \(value)") }
        var texts: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw ModuleError("\(prefix)\(key): must be an array of strings, got \(value)") }
            texts.append(text)
        }
        return texts
    }

    public func int(_ key: String, default fallback: Int, min: Int) throws(ModuleError) -> Int {
        guard let value = values[key], !value.isNull else { return fallback }
        guard let number = value.intValue, number >= min else {
            throw ModuleError("\(prefix)\(key): must be an integer ≥ \(min), got \(value)")
        }
        return number
    }

    public func object(_ key: String) throws(ModuleError) -> JSONObject? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw ModuleError("\(prefix)\(key): must be an object, got \(value)") }
        return object
    }
}
