// A JSON document as a value (contract 0.2). Event payloads reach handler modules as `JSONValue`s.

/// One JSON value. Integers that fit `Int` stay exact (`.int`); other numbers are `.double`. Objects keep the order in which
/// their keys were inserted (or parsed), so a document parsed and serialised again comes out byte for byte as JavaScript's
/// `JSON.stringify(JSON.parse(text))` would write it (except that JavaScript moves integer-like keys such as `"1"` first).
///
/// Equality is JSON equality: numbers compare by value (`.int(1) == .double(1)`), objects compare as key sets regardless of
/// order, arrays element by element.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

// MARK: Accessors

extension JSONValue {
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// The value as an `Int` when it is an integer, or a double with an integral value that fits.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return JSONValue.exactInt(d)
        default: return nil
        }
    }

    /// Any number as a `Double` (large integers may round).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }

    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// The member `key` of an object; nil for a missing key or a non-object. Setting on a non-object does nothing; setting nil
    /// removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            guard case .object(var o) = self else { return }
            self = .null  // release the storage so the object is mutated in place
            o[key] = newValue
            self = .object(o)
        }
    }

    /// The element `index` of an array; nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    /// `d` as an `Int` when it is integral and exactly representable.
    @inline(__always)
    static func exactInt(_ d: Double) -> Int? {
        // 2^63 is exactly representable; anything in [-2^63, 2^63) converts without trapping (NaN fails both tests).
        guard d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return nil }
        let i = Int(d)
        return Double(i) == d ? i : nil
    }
}

// MARK: Equality and hashing (JSON semantics)

extension JSONValue: Equatable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return exactInt(y) == x
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b): hasher.combine(1 as UInt8); hasher.combine(b)
        case .int(let i): hasher.combine(2 as UInt8); hasher.combine(i)
        case .double(let d):
            if let i = JSONValue.exactInt(d) {
                hasher.combine(2 as UInt8); hasher.combine(i)
            } else {
                hasher.combine(3 as UInt8); hasher.combine(d)
            }
        case .string(let s): hasher.combine(4 as UInt8); hasher.combine(s)
        case .array(let a): hasher.combine(5 as UInt8); hasher.combine(a)
        case .object(let o): hasher.combine(6 as UInt8); hasher.combine(o)
        }
    }
}

// MARK: Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject(minimumCapacity: elements.count)
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

// MARK: Text

extension JSONValue: CustomStringConvertible {
    /// The serialised JSON text.
    public var description: String {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
