/// A matched route: the handler and its `:param` (and `*`) values, percent-decoded.
public struct RouteMatch<Handler> {
    public let handler: Handler
    public let parameters: [String: String]
    public init(handler: Handler, parameters: [String: String]) {
        self.handler = handler
        self.parameters = parameters
    }
}
extension RouteMatch: Sendable where Handler: Sendable {}

public enum RouteResult<Handler> {
    case matched(RouteMatch<Handler>)
    /// The path exists but not for this method; `allowed` is what an `Allow` field of a 405 should list.
    case methodNotAllowed(allowed: [String])
    case notFound
}
extension RouteResult: Sendable where Handler: Sendable {}

/// Method + path routing on a segment tree.
///
/// Patterns: `/chat/rooms/:id/messages` — static segments, `:name` segments (one non-empty path segment) and an
/// optional trailing `*` or `*name` (the rest of the path, zero or more segments, joined with `/`; key `"*"` or `name`).
///
/// Rules:
/// - Precedence at each segment: static over `:param` over `*`. When the preferred branch dead-ends deeper down, the
///   next one is tried, so `/a/new` and `/a/:id/edit` both work. Each node has at most three branches, so matching is
///   O(segments) unless higher-precedence branches repeatedly dead-end.
/// - A trailing slash is not significant: `/a/` and `/a` are the same route (in patterns and in paths). Empty segments
///   elsewhere (`/a//b`) are kept and match neither a static segment nor a `:param`.
/// - Every path segment is percent-decoded before matching (RFC 3986 §6.2.2.2 equivalence, so `/ch%61t` is `/chat`);
///   a malformed escape, invalid UTF-8 or an encoded NUL makes the path not found. `+` is not a space in a path.
///   `%2F` decodes to `/` inside one segment and never splits segments — but in a `*` value, whose segments are
///   joined with `/`, it is indistinguishable from a separator. `..` segments are not resolved: a handler that maps
///   a `*` value to files must reject them itself.
/// - `HEAD` uses the `GET` handler unless a `HEAD` handler is registered; `GET` routes then list `HEAD` as allowed.
/// - Methods are case-sensitive (RFC 9110 §9.1).
public struct Router<Handler> {
    fileprivate struct Entry {
        let method: String
        let handler: Handler
        /// Names of the `:param`/`*` segments in path order; values are collected positionally during the search,
        /// so routes sharing a tree node may name their parameters differently.
        let parameterNames: [String]
    }

    fileprivate struct Node {
        var statics: [String: Node] = [:]
        /// Zero or one element: Swift structs cannot hold an `Optional` of themselves.
        var param: [Node] = []
        var entries: [Entry] = []
        var wildcardEntries: [Entry] = []
    }

    private enum PatternSegment {
        case literal(String)
        case parameter(String)
        case wildcard(String)
    }

    private var root = Node()

    public init() {}

    /// Registering the same method and pattern shape twice (also `/a/:id` then `/a/:name`) is a programmer error.
    public mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        precondition(!method.isEmpty, "Router: empty method")
        let segments = Self.parsePattern(pattern)
        var names: [String] = []
        for segment in segments {
            switch segment {
            case .parameter(let name), .wildcard(let name): names.append(name)
            case .literal: break
            }
        }
        precondition(Set(names).count == names.count, "Router: duplicate parameter name in \(pattern)")
        Self.insert(Entry(method: method, handler: handler, parameterNames: names), segments[...], into: &root, pattern: pattern)
    }

    public func route(method: String, path: Substring) -> RouteResult<Handler> {
        guard let segments = Self.decodedSegments(path) else { return .notFound }
        var values: [String] = []
        values.reserveCapacity(4)
        var allowed: [String] = []
        if let match = Self.search(root, segments, 0, method, &values, &allowed) { return .matched(match) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    // MARK: - Registration

    private static func parsePattern(_ pattern: String) -> [PatternSegment] {
        precondition(pattern.first == "/", "Router: pattern must start with /: \(pattern)")
        var raw = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if raw.count > 0 && raw.last!.isEmpty { raw = raw.dropLast() }
        var result: [PatternSegment] = []
        for (i, segment) in raw.enumerated() {
            if segment.first == ":" {
                let name = String(segment.dropFirst())
                precondition(!name.isEmpty, "Router: unnamed parameter in \(pattern)")
                result.append(.parameter(name))
            } else if segment.first == "*" {
                precondition(i == raw.count - 1, "Router: * must be the last segment in \(pattern)")
                let name = segment.dropFirst()
                result.append(.wildcard(name.isEmpty ? "*" : String(name)))
            } else {
                precondition(!segment.isEmpty, "Router: empty segment in \(pattern)")
                result.append(.literal(String(segment)))
            }
        }
        return result
    }

    private static func insert(_ entry: Entry, _ segments: ArraySlice<PatternSegment>, into node: inout Node, pattern: String) {
        guard let first = segments.first else {
            precondition(!node.entries.contains { $0.method == entry.method },
                         "Router: \(entry.method) \(pattern) registered twice")
            node.entries.append(entry)
            return
        }
        switch first {
        case .literal(let text):
            insert(entry, segments.dropFirst(), into: &node.statics[text, default: Node()], pattern: pattern)
        case .parameter:
            if node.param.isEmpty { node.param.append(Node()) }
            insert(entry, segments.dropFirst(), into: &node.param[0], pattern: pattern)
        case .wildcard:
            precondition(!node.wildcardEntries.contains { $0.method == entry.method },
                         "Router: \(entry.method) \(pattern) registered twice")
            node.wildcardEntries.append(entry)
        }
    }

    // MARK: - Matching

    private static func search(_ node: Node, _ segments: [String], _ index: Int, _ method: String,
                               _ values: inout [String], _ allowed: inout [String]) -> RouteMatch<Handler>? {
        if index == segments.count {
            if let match = pick(node.entries, method, values, &allowed) { return match }
        } else {
            let segment = segments[index]
            if let child = node.statics[segment],
               let match = search(child, segments, index + 1, method, &values, &allowed) { return match }
            if !segment.isEmpty, let child = node.param.first {
                values.append(segment)
                defer { values.removeLast() }
                if let match = search(child, segments, index + 1, method, &values, &allowed) { return match }
            }
        }
        if !node.wildcardEntries.isEmpty {
            values.append(segments[index...].joined(separator: "/"))
            defer { values.removeLast() }
            if let match = pick(node.wildcardEntries, method, values, &allowed) { return match }
        }
        return nil
    }

    /// The entry for `method` (HEAD falling back to GET), or nil after adding this node's methods to `allowed`, so a
    /// 405 lists every method any matching route accepts.
    private static func pick(_ entries: [Entry], _ method: String, _ values: [String],
                             _ allowed: inout [String]) -> RouteMatch<Handler>? {
        if entries.isEmpty { return nil }
        let entry = entries.first { $0.method == method }
            ?? (method == "HEAD" ? entries.first { $0.method == "GET" } : nil)
        if let entry {
            var parameters: [String: String] = [:]
            parameters.reserveCapacity(values.count)
            for (name, value) in zip(entry.parameterNames, values) { parameters[name] = value }
            return RouteMatch(handler: entry.handler, parameters: parameters)
        }
        let hasHead = entries.contains { $0.method == "HEAD" }
        for e in entries where !allowed.contains(e.method) {
            allowed.append(e.method)
            if e.method == "GET" && !hasHead && !allowed.contains("HEAD") { allowed.append("HEAD") }
        }
        return nil
    }

    // MARK: - Path decoding

    /// nil when the path is not origin-form or any segment has a bad escape.
    private static func decodedSegments(_ path: Substring) -> [String]? {
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        var raw = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        if raw.count > 0 && raw.last!.isEmpty { raw = raw.dropLast() }
        var result: [String] = []
        result.reserveCapacity(raw.count)
        for segment in raw {
            guard let decoded = percentDecode(segment) else { return nil }
            result.append(decoded)
        }
        return result
    }

    static func percentDecode(_ segment: Substring.UTF8View) -> String? {
        guard segment.contains(UInt8(ascii: "%")) else { return String(Substring(segment)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.count)
        var i = segment.startIndex
        while i != segment.endIndex {
            let c = segment[i]
            if c == UInt8(ascii: "%") {
                let h = segment.index(after: i)
                guard h != segment.endIndex else { return nil }
                let l = segment.index(after: h)
                guard l != segment.endIndex, let hi = PercentEncoding.hexValue(segment[h]), let lo = PercentEncoding.hexValue(segment[l]) else { return nil }
                let byte = hi << 4 | lo
                // An encoded NUL has no business in a path and truncates strings in C APIs further down (SQLite, files).
                guard byte != 0 else { return nil }
                bytes.append(byte)
                i = segment.index(after: l)
            } else {
                bytes.append(c)
                i = segment.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

}
extension Router: Sendable where Handler: Sendable {}
extension Router.Node: Sendable where Handler: Sendable {}
extension Router.Entry: Sendable where Handler: Sendable {}
