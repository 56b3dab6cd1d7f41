// The HTTP message model shared by the parser, the router and the server.
// Value types: a request or response is built on one loop and may be handed to another.

/// Header fields in arrival order. Names compare case-insensitively; duplicates are kept (Set-Cookie, Vary).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }
    public init(_ fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    public var count: Int { fields.count }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// The first value of the named field, or nil.
    public subscript(name: String) -> String? {
        for field in fields where Self.sameName(field.name, name) { return field.value }
        return nil
    }
    /// Every value of the named field, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.sameName($0.name, name) ? $0.value : nil }
    }
    /// True when the comma-separated field contains `token` (case-insensitive), as in `Connection: keep-alive, Upgrade`.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        for field in fields where Self.sameName(field.name, name) {
            if Self.list(field.value, contains: token) { return true }
        }
        return false
    }

    /// Scans a comma-separated list in place: no split, no allocation (this runs on every request for `Connection`).
    static func list(_ value: String, contains token: String) -> Bool {
        var value = value
        var token = token
        return value.withUTF8 { bytes in
            token.withUTF8 { wanted in
                var found = false
                forEachListElement(bytes, 0, bytes.count) { lo, hi in
                    guard !found, hi - lo == wanted.count else { return }
                    found = (0..<wanted.count).allSatisfy { asciiLower(bytes[lo + $0]) == asciiLower(wanted[$0]) }
                }
                return found
            }
        }
    }

    /// Calls `body` with the bounds of each element of the comma-separated list in `p[start..<end]`, trimmed of
    /// spaces and tabs (RFC 9110 §5.6.1); empty elements are passed as empty ranges.
    @inline(__always)
    static func forEachListElement<E: Error>(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                                             _ body: (Int, Int) throws(E) -> Void) throws(E) {
        var i = start
        repeat {
            var e = i
            while e < end && p[e] != UInt8(ascii: ",") { e += 1 }
            let next = e + 1
            while i < e && (p[i] == 32 || p[i] == 9) { i += 1 }
            while e > i && (p[e - 1] == 32 || p[e - 1] == 9) { e -= 1 }
            try body(i, e)
            i = next
        } while i <= end
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }
    /// Replaces every field of that name with one.
    public mutating func set(_ name: String, _ value: String) { remove(name); add(name, value) }
    public mutating func remove(_ name: String) { fields.removeAll { Self.sameName($0.name, name) } }

    @inline(__always) static func sameName(_ a: String, _ b: String) -> Bool { a.caseInsensitiveASCIIEquals(b) }
}

extension StringProtocol {
    /// ASCII case-insensitive equality without allocating (header names and tokens are ASCII; `lowercased()` is not free).
    func caseInsensitiveASCIIEquals<Other: StringProtocol>(_ other: Other) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            guard asciiLower(x) == asciiLower(y) else { return false }
        }
        return true
    }
}

@inline(__always) func asciiLower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return s
    }
}

/// A request line and its headers: everything the server knows before the body.
public struct HTTPRequestHead: Sendable {
    /// The method token exactly as sent (`GET`, `POST`, …); methods are case-sensitive (RFC 9110 §9.1).
    public var method: String
    /// The request target as sent, e.g. `/socket.io/?EIO=4&transport=polling`.
    public var target: String
    public var versionMajor: Int
    public var versionMinor: Int
    public var headers: HTTPHeaders

    public init(method: String, target: String, versionMajor: Int = 1, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.headers = headers
    }

    /// The path part of the target, without the query.
    public var path: Substring {
        // Searching the UTF-8 view avoids Character (grapheme) indexing, which is slow.
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) { return target[..<q] }
        return target[...]
    }
    /// The raw query string after `?`, or nil.
    public var query: Substring? {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return target[target.utf8.index(after: q)...]
    }
    /// HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.containsToken("Connection", "close") { return false }
        if versionMajor == 1 && versionMinor == 0 { return headers.containsToken("Connection", "keep-alive") }
        return true
    }
    public var expectsContinue: Bool { headers["Expect"]?.caseInsensitiveASCIIEquals("100-continue") ?? false }
    /// `Connection: Upgrade` with an `Upgrade` field (WebSocket).
    public var isUpgrade: Bool { headers.containsToken("Connection", "upgrade") && headers["Upgrade"] != nil }
}

/// A complete request: head and (possibly empty) body.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    public init(head: HTTPRequestHead, body: [UInt8] = []) { self.head = head; self.body = body }

    public var method: String { head.method }
    public var path: Substring { head.path }
    public var headers: HTTPHeaders { head.headers }
}

/// A response the server will serialise. `Content-Length`, `Date`, `Connection` are added by the encoder.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
