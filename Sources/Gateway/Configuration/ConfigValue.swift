import Foundation

/// A JSON value from the configuration file, kept as written. Handler modules get their `modules.<name>` section in this
/// form because the gateway cannot know their schema; it is `Sendable` so a module can hold it on any event loop.
public enum ConfigValue: Sendable, Hashable {
    case null
    case bool(Bool)
    // Integers are kept apart from doubles so large ids and counts survive without rounding through Double.
    case int(Int)
    case double(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var arrayValue: [ConfigValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: ConfigValue]? { if case .object(let o) = self { return o }; return nil }

    /// `1e3` is written as a double by some tools but means an integer, so integral doubles are accepted here.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public subscript(key: String) -> ConfigValue? { objectValue?[key] }

    /// Converts what `JSONSerialization` returns. On Linux JSON booleans come back as `NSNumber` too, and `as? Bool`
    /// also succeeds for the numbers 0 and 1, so the number's storage type is what tells them apart.
    init(foundation value: Any) {
        switch value {
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            let type = String(cString: number.objCType)
            if type == "c" || type == "B" {
                self = .bool(number.boolValue)
            } else if type == "d" || type == "f" {
                self = .double(number.doubleValue)
            } else if let int = Int(exactly: number) {
                self = .int(int)
            } else {
                self = .double(number.doubleValue)
            }
        case let array as [Any]:
            self = .array(array.map(ConfigValue.init(foundation:)))
        case let object as [String: Any]:
            self = .object(object.mapValues(ConfigValue.init(foundation:)))
        default:
            self = .null
        }
    }

    /// Short JSON-like rendering for error messages; long values are cut so one bad entry cannot flood the log.
    var rendered: String {
        let full = renderedFull
        return full.count > 60 ? String(full.prefix(57)) + "..." : full
    }

    private var renderedFull: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s.debugDescription
        case .array(let a): return "[" + a.map(\.renderedFull).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\($0.debugDescription): \(o[$0]!.renderedFull)" }.joined(separator: ", ") + "}"
        }
    }
}
