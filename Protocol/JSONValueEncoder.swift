// Typed payloads (contract 0.3): `Encodable` types written as `JSONValue`s, keys in declaration order as JavaScript would.

/// Encodes `Encodable` values to `JSONValue`s. `nil` optionals are left out (as `JSON.stringify` leaves out `undefined`);
/// non-finite doubles are refused, as JSON has no spelling for them.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws(PayloadError) -> JSONValue {
        if let json = value as? JSONValue { return json }
        let root = Node()
        do {
            try value.encode(to: ValueEncoder(node: root, codingPath: []))
        } catch let error as EncodingError {
            if case .invalidValue(_, let context) = error {
                let field = JSONValueDecoder.path(context.codingPath)
                throw PayloadError(field: field, message: "\(field.isEmpty ? "value" : field): \(context.debugDescription)")
            }
            throw PayloadError(field: "", message: "cannot encode: \(error)")
        } catch {
            throw PayloadError(field: "", message: "cannot encode: \(error)")
        }
        return root.value
    }
}

/// The tree being built. Nested containers hold their own node, so writes after `nestedContainer` land in the parent.
private final class Node {
    enum Content {
        case empty
        case leaf(JSONValue)
        case object([(String, Node)])
        case array([Node])
    }
    var content = Content.empty

    var value: JSONValue {
        switch content {
        case .empty: return .object(JSONObject())
        case .leaf(let value): return value
        case .object(let pairs):
            var object = JSONObject(minimumCapacity: pairs.count)
            for (key, node) in pairs { object[key] = node.value }
            return .object(object)
        case .array(let nodes): return .array(nodes.map(\.value))
        }
    }

    func child(forKey key: String) -> Node {
        let node = Node()
        if case .object(var pairs) = content {
            if let index = pairs.firstIndex(where: { $0.0 == key }) { pairs[index].1 = node } else { pairs.append((key, node)) }
            content = .object(pairs)
        } else {
            content = .object([(key, node)])
        }
        return node
    }

    func appendChild() -> Node {
        let node = Node()
        if case .array(let nodes) = content { content = .array(nodes + [node]) } else { content = .array([node]) }
        return node
    }
}

private struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init(index: Int) { stringValue = String(index); intValue = index }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}

private struct ValueEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(node: node, codingPath: codingPath) }
}

private func encodeLeaf<T: Encodable>(_ value: T, into node: Node, path: [any CodingKey]) throws {
    switch value {
    case let json as JSONValue: node.content = .leaf(json)
    case let object as JSONObject: node.content = .leaf(.object(object))
    case let string as String: node.content = .leaf(.string(string))
    case let bool as Bool: node.content = .leaf(.bool(bool))
    case let int as Int: node.content = .leaf(.int(int))
    case let double as Double:
        guard double.isFinite else {
            throw EncodingError.invalidValue(double, .init(codingPath: path, debugDescription: "\(double) is not a JSON number"))
        }
        node.content = .leaf(.double(double))
    default: try value.encode(to: ValueEncoder(node: node, codingPath: path))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).content = .leaf(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeLeaf(value, into: node.child(forKey: key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.child(forKey: "super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let nodes) = node.content { return nodes.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendChild().content = .leaf(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try encodeLeaf(value, into: node.appendChild(), path: codingPath + [AnyKey(index: index)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        return ValueEncoder(node: node.appendChild(), codingPath: codingPath + [AnyKey(index: index)]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = count
        return ValueEncoder(node: node.appendChild(), codingPath: codingPath + [AnyKey(index: index)]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.appendChild(), codingPath: codingPath) }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .leaf(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeLeaf(value, into: node, path: codingPath) }
    mutating func encode(_ value: Bool) throws { node.content = .leaf(.bool(value)) }
    mutating func encode(_ value: String) throws { node.content = .leaf(.string(value)) }
    mutating func encode(_ value: Int) throws { node.content = .leaf(.int(value)) }
    mutating func encode(_ value: Int64) throws { node.content = .leaf(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { node.content = .leaf(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { node.content = .leaf(.int(Int(value))) }
    mutating func encode(_ value: Double) throws { try encodeLeaf(value, into: node, path: codingPath) }
    mutating func encode(_ value: Float) throws { try encodeLeaf(Double(value), into: node, path: codingPath) }
}

// `JSONValue` inside `Codable` types (free-form `metadata`, `data`): works with these coders and any other.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null; return }
        if let bool = try? single.decode(Bool.self) { self = .bool(bool); return }
        if let int = try? single.decode(Int.self) { self = .int(int); return }
        if let double = try? single.decode(Double.self) { self = .double(double); return }
        if let string = try? single.decode(String.self) { self = .string(string); return }
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
            self = .array(values)
            return
        }
        let keyed = try decoder.container(keyedBy: AnyKey.self)
        var object = JSONObject(minimumCapacity: keyed.allKeys.count)
        for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(JSONValue.self, forKey: key) }
        self = .object(object)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d): var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let values):
            var c = encoder.unkeyedContainer()
            for value in values { try c.encode(value) }
        case .object(let object):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in object { try c.encode(value, forKey: AnyKey(key)) }
        }
    }
}

extension JSONObject: Codable {
    public init(from decoder: any Decoder) throws {
        guard case .object(let object) = try JSONValue(from: decoder) else {
            throw DecodingError.typeMismatch(JSONObject.self, .init(codingPath: decoder.codingPath, debugDescription: "expected an object"))
        }
        self = object
    }

    public func encode(to encoder: any Encoder) throws { try JSONValue.object(self).encode(to: encoder) }
}
