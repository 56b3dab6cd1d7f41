/// Header fields kept for the life of a long-lived connection (a Socket.IO handshake), in one allocation.
///
/// `HTTPHeaders` holds a `String` per name and per value: fine for a request handled and dropped, but a WebSocket
/// handshake is kept as long as its socket, and a browser sends a dozen fields, most longer than the 15 bytes a `String`
/// stores inline — about 1.5 KB per idle connection as separate strings, against the bytes themselves here. Look-ups scan
/// (they are rare: a handler reading a cookie or the user agent once).
public struct PackedHeaders: Sendable, Sequence {
    /// `name NUL value NUL` for each field, in arrival order. NUL cannot occur in a field (the parser refuses it).
    private let storage: [UInt8]
    public let count: Int

    public init(_ headers: HTTPHeaders) {
        self.init(headers.fields.lazy.map { ($0.name, $0.value) })
    }

    public init<S: Collection>(_ fields: S) where S.Element == (String, String) {
        // Sized before filling: the growth slack of appending would otherwise stay for the connection's life.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        for (name, value) in fields {
            bytes.append(contentsOf: name.utf8)
            bytes.append(0)
            bytes.append(contentsOf: value.utf8)
            bytes.append(0)
        }
        storage = bytes
        count = fields.count
    }

    /// The first value of the named field (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        var wanted = name
        return wanted.withUTF8 { wanted in
            storage.withUnsafeBufferPointer { p -> String? in
                var i = 0
                while i < p.count {
                    let nameEnd = Self.terminator(p, from: i)
                    let valueEnd = Self.terminator(p, from: nameEnd + 1)
                    if nameEnd - i == wanted.count,
                       (0..<wanted.count).allSatisfy({ asciiLower(p[i + $0]) == asciiLower(wanted[$0]) }) {
                        return String(decoding: UnsafeBufferPointer(rebasing: p[(nameEnd + 1)..<valueEnd]), as: UTF8.self)
                    }
                    i = valueEnd + 1
                }
                return nil
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// The fields as strings, in arrival order (built on each call).
    public var fields: [(name: String, value: String)] {
        storage.withUnsafeBufferPointer { p in
            var out: [(name: String, value: String)] = []
            out.reserveCapacity(count)
            var i = 0
            while i < p.count {
                let nameEnd = Self.terminator(p, from: i)
                let valueEnd = Self.terminator(p, from: nameEnd + 1)
                out.append((String(decoding: UnsafeBufferPointer(rebasing: p[i..<nameEnd]), as: UTF8.self),
                            String(decoding: UnsafeBufferPointer(rebasing: p[(nameEnd + 1)..<valueEnd]), as: UTF8.self)))
                i = valueEnd + 1
            }
            return out
        }
    }

    @inline(__always)
    private static func terminator(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        while i < p.count && p[i] != 0 { i += 1 }
        return i
    }
}
