/// The members of a JSON object, in insertion order. Looking a key up is a linear scan while the object is small (what event
/// payloads are) and a hash lookup once it holds more than `JSONObject.indexThreshold` members.
///
/// Setting an existing key replaces its value in place (the key keeps its position), as assigning a property of a JavaScript
/// object does; this is also what a duplicate key in a parsed document does (the last value wins, at the first position).
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    @usableFromInline var entries: [Element]
    /// Key → position, only for large objects.
    @usableFromInline var index: [String: Int]?

    static let indexThreshold = 12

    public init() {
        entries = []
        index = nil
    }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
        index = nil
    }

    /// Members from a sequence of pairs; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSONValue) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }
    public var values: [JSONValue] { entries.map(\.value) }

    @inline(__always)
    func position(of key: String) -> Int? {
        if let index { return index[key] }
        let length = key.utf8.count
        for i in entries.indices where entries[i].key.utf8.count == length && entries[i].key == key { return i }
        return nil
    }

    public func contains(key: String) -> Bool { position(of: key) != nil }

    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = position(of: key) else { return nil }
            return entries[i].value
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Sets `value` for `key`; returns the value it replaced.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        if let i = position(of: key) {
            let old = entries[i].value
            entries[i].value = value
            return old
        }
        appendNew(key, value)
        return nil
    }

    /// Appends a member whose key is known not to be present.
    @inline(__always)
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        entries.append((key, value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > JSONObject.indexThreshold {
            var built: [String: Int] = [:]
            built.reserveCapacity(entries.count * 2)
            for (i, entry) in entries.enumerated() { built[entry.key] = i }
            index = built
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = position(of: key) else { return nil }
        let old = entries.remove(at: i).value
        if index != nil {
            if entries.count > JSONObject.indexThreshold {
                var rebuilt: [String: Int] = [:]
                for (j, entry) in entries.enumerated() { rebuilt[entry.key] = j }
                index = rebuilt
            } else {
                index = nil
            }
        }
        return old
    }
}

extension JSONObject: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }
    public subscript(position: Int) -> Element { entries[position] }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(minimumCapacity: elements.count)
        for (key, value) in elements { self[key] = value }
    }
}

extension JSONObject: Equatable {
    /// JSON equality: the same keys with equal values, in any order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.entries.count {
            let entry = a.entries[i]
            // Same position first: the common case of two documents written in the same order.
            if i < b.entries.count, b.entries[i].key == entry.key {
                if b.entries[i].value != entry.value { return false }
                continue
            }
            guard let other = b[entry.key], other == entry.value else { return false }
        }
        return true
    }
}

extension JSONObject: Hashable {
    /// Order-independent, to agree with `==`.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for entry in entries {
            var h = Hasher()
            h.combine(entry.key)
            h.combine(entry.value)
            combined ^= h.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(combined)
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String { JSONValue.object(self).description }
}
