// Event arguments (contract 0.3): what a Socket.IO event or acknowledgement carries.

/// The arguments of an event or an acknowledgement: JSON values, with binary buffers beside them. A binary argument is the
/// placeholder `{"_placeholder":true,"num":N}` in `values` and its bytes in `attachments[N]` (how the wire carries it too).
public struct EventArguments: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public var values: [JSONValue]
    public var attachments: [[UInt8]]

    public init() {
        values = []
        attachments = []
    }

    public init(_ values: [JSONValue], attachments: [[UInt8]] = []) {
        self.values = values
        self.attachments = attachments
    }

    public init(arrayLiteral elements: JSONValue...) { self.init(elements) }

    public var startIndex: Int { values.startIndex }
    public var endIndex: Int { values.endIndex }
    public subscript(position: Int) -> JSONValue { values[position] }

    /// Appends a JSON argument.
    public mutating func append(_ value: JSONValue) { values.append(value) }

    /// Appends a binary argument.
    public mutating func appendBinary(_ bytes: [UInt8]) {
        values.append(Self.placeholder(attachments.count))
        attachments.append(bytes)
    }

    /// The bytes a placeholder stands for (nil when `value` is not a placeholder of these arguments).
    public func binary(_ value: JSONValue) -> [UInt8]? {
        guard value["_placeholder"] == .bool(true), let num = value["num"]?.intValue, num >= 0, num < attachments.count else {
            return nil
        }
        return attachments[num]
    }

    /// The bytes of argument `index` when it is binary.
    public func binary(at index: Int) -> [UInt8]? {
        guard index >= 0, index < values.count else { return nil }
        return binary(values[index])
    }

    /// `{"_placeholder":true,"num":N}`, in that key order (what the official parser writes).
    public static func placeholder(_ num: Int) -> JSONValue {
        var object = JSONObject(minimumCapacity: 2)
        object["_placeholder"] = .bool(true)
        object["num"] = .int(num)
        return .object(object)
    }
}
