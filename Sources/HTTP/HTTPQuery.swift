/// Query strings with `URLSearchParams` semantics, as browsers and the official Socket.IO server read them:
/// `&`-separated, `+` is a space, percent-escapes decoded (invalid ones kept as they are).
public enum HTTPQuery {
    public static func parse(_ query: Substring?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let bytes = Array(pair)
            if let eq = bytes.firstIndex(of: UInt8(ascii: "=")) {
                result[decode(bytes[..<eq])] = decode(bytes[(eq + 1)...])
            } else {
                result[decode(bytes[...])] = ""
            }
        }
        return result
    }

    /// The parameters of a request target's query (`/path?a=1&b=2`); none without `?`.
    public static func parse(target: String) -> [String: String] {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        return parse(target[target.utf8.index(after: mark)...])
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
                      let hi = PercentEncoding.hexValue(bytes[i + 1]), let lo = PercentEncoding.hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension HTTPRequestHead {
    /// The query's parameters (the last value wins for a repeated name).
    public var queryParameters: [String: String] { HTTPQuery.parse(query) }
}

enum PercentEncoding {
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
