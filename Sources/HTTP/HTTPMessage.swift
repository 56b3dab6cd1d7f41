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
        for value in values(name) {
            for part in value.split(separator: ",") where
                part.trimmingCharacters(in: " \t").lowercased() == token.lowercased() { return true }
        }
        return false
    }
    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }
    /// Replaces every field of that name with one.
    public mutating func set(_ name: String, _ value: String) { remove(name); add(name, value) }
    public mutating func remove(_ name: String) { fields.removeAll { Self.sameName($0.name, name) } }

    @inline(__always) static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }
}

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
        if let q = target.firstIndex(of: "?") { return target[..<q] }
        return target[...]
    }
    /// The raw query string after `?`, or nil.
    public var query: Substring? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: q)...]
    }
    /// HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.containsToken("Connection", "close") { return false }
        if versionMajor == 1 && versionMinor == 0 { return headers.containsToken("Connection", "keep-alive") }
        return true
    }
    public var expectsContinue: Bool { headers["Expect"]?.lowercased() == "100-continue" }
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
