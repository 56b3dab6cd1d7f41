// A strict RFC 8259 parser working on bytes: no trailing commas, no comments, no NaN/Infinity, no leading zeros, UTF-8
// validated, a nesting limit against stack exhaustion. The size limit is the caller's (it holds the bytes already).

/// Why a document was refused, and where (byte offset).
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedCharacter
        case invalidNumber
        case invalidEscape
        /// A string is not valid UTF-8, or a `\u` escape is a lone surrogate under `rejectLoneSurrogates`.
        case invalidUnicode
        /// An unescaped control character (below U+0020) inside a string.
        case controlCharacter
        case tooDeep
        case trailingCharacters
    }
    public let kind: Kind
    public let offset: Int
    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }
    public var description: String { "JSON \(kind) at byte \(offset)" }
}

public struct JSONParseOptions: Sendable {
    /// Arrays and objects nested deeper than this are refused (the parser recurses once per level).
    public var maxDepth: Int
    /// A `\u` escape naming half a surrogate pair with no other half: JavaScript accepts it (its strings are UTF-16) but a
    /// Swift string cannot hold it. By default it becomes U+FFFD; with this set the document is refused.
    public var rejectLoneSurrogates: Bool

    public init(maxDepth: Int = 64, rejectLoneSurrogates: Bool = false) {
        self.maxDepth = maxDepth
        self.rejectLoneSurrogates = rejectLoneSurrogates
    }
    public static let `default` = JSONParseOptions()
}

extension JSONValue {
    /// Parses one JSON document (surrounding whitespace allowed).
    public static func parse(bytes: UnsafeRawBufferPointer, options: JSONParseOptions = .default) throws(JSONError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw JSONError(.unexpectedEnd, offset: 0) }
        var parser = JSONParser(base: base.assumingMemoryBound(to: UInt8.self), end: bytes.count, options: options)
        return try parser.parseDocument()
    }

    public static func parse(bytes: [UInt8], options: JSONParseOptions = .default) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw -> Result<JSONValue, JSONError> in
            do throws(JSONError) { return .success(try parse(bytes: raw, options: options)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(bytes: ArraySlice<UInt8>, options: JSONParseOptions = .default) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw -> Result<JSONValue, JSONError> in
            do throws(JSONError) { return .success(try parse(bytes: raw, options: options)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, options: JSONParseOptions = .default) throws(JSONError) -> JSONValue {
        try parse(bytes: Array(text.utf8), options: options)
    }
}

@usableFromInline
struct JSONParser {
    let base: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    let rejectLoneSurrogates: Bool
    var i = 0
    var depth = 0

    init(base: UnsafePointer<UInt8>, end: Int, options: JSONParseOptions) {
        self.base = base
        self.end = end
        self.maxDepth = options.maxDepth
        self.rejectLoneSurrogates = options.rejectLoneSurrogates
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard i == end else { throw JSONError(.trailingCharacters, offset: i) }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let c = base[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard i < end else { throw JSONError(.unexpectedEnd, offset: i) }
        switch base[i] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: throw JSONError(.unexpectedCharacter, offset: i)
        }
    }

    @inline(__always)
    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        for k in 0..<n {
            guard i + k < end else { throw JSONError(.unexpectedEnd, offset: end) }
            guard base[i + k] == p[k] else { throw JSONError(.unexpectedCharacter, offset: i + k) }
        }
        i += n
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        depth += 1
        guard depth <= maxDepth else { throw JSONError(.tooDeep, offset: i) }
        i += 1
        var elements: [JSONValue] = []
        elements.reserveCapacity(8)  // one allocation for the usual short array, rather than growing 1, 2, 4, 8
        skipWhitespace()
        if i < end, base[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, offset: i) }
            let c = base[i]
            i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { break }
            throw JSONError(.unexpectedCharacter, offset: i - 1)
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        depth += 1
        guard depth <= maxDepth else { throw JSONError(.tooDeep, offset: i) }
        i += 1
        var object = JSONObject(minimumCapacity: 8)
        skipWhitespace()
        if i < end, base[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, offset: i) }
            guard base[i] == UInt8(ascii: "\"") else { throw JSONError(.unexpectedCharacter, offset: i) }
            let key = try parseString()
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, offset: i) }
            guard base[i] == UInt8(ascii: ":") else { throw JSONError(.unexpectedCharacter, offset: i) }
            i += 1
            let value = try parseValue()
            object.updateValue(value, forKey: key)
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, offset: i) }
            let c = base[i]
            i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { break }
            throw JSONError(.unexpectedCharacter, offset: i - 1)
        }
        depth -= 1
        return .object(object)
    }

    // MARK: Strings

    /// `i` is at the opening quote; returns with `i` past the closing one.
    mutating func parseString() throws(JSONError) -> String {
        i += 1
        let start = i
        var nonASCII: UInt8 = 0
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                let bytes = UnsafeBufferPointer(start: base + start, count: i - start)
                i += 1
                if nonASCII < 0x80 { return String(decoding: bytes, as: UTF8.self) }
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw JSONError(.invalidUnicode, offset: start)
                }
                return s
            }
            if c == UInt8(ascii: "\\") { return try parseEscapedString(start: start) }
            if c < 0x20 { throw JSONError(.controlCharacter, offset: i) }
            nonASCII |= c
            i += 1
        }
        throw JSONError(.unexpectedEnd, offset: i)
    }

    /// The slow path: `i` is at the first backslash of the string that began at `start`. The unescaped text is never
    /// longer than its source (every escape shrinks or keeps its length), so it is written through a pointer into stack
    /// scratch sized by a first scan to the closing quote, and becomes a String in one copy: appending byte by byte to an
    /// array and validating it generically cost ~3,500 instructions for a 32-byte string (a third of an event's parse).
    mutating func parseEscapedString(start: Int) throws(JSONError) -> String {
        // First pass: where the string ends (at a quote, a control character or the end; errors come from the second
        // pass, in document order), and whether its source is all ASCII.
        var stop = i
        var nonASCII: UInt8 = 0
        while stop < end {
            let c = base[stop]
            if c == UInt8(ascii: "\\") { stop += 2; continue }
            if c == UInt8(ascii: "\"") || c < 0x20 { break }
            nonASCII |= c
            stop += 1
        }
        let capacity = min(stop, end) - start
        let ascii = nonASCII < 0x80
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { out -> Result<String, JSONError> in
            do throws(JSONError) {
                let count = try unescape(from: start, into: out.baseAddress!)
                let bytes = UnsafeBufferPointer(start: out.baseAddress!, count: count)
                // From an ASCII source only escapes can make non-ASCII bytes, and they write valid UTF-8; otherwise the
                // result is validated.
                if ascii { return .success(String(decoding: bytes, as: UTF8.self)) }
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw JSONError(.invalidUnicode, offset: start)
                }
                return .success(s)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Copies the string from `start` up to its closing quote (consumed) into `out`, unescaping; returns the byte count.
    private mutating func unescape(from start: Int, into out: UnsafeMutablePointer<UInt8>) throws(JSONError) -> Int {
        var o = i - start
        out.update(from: base + start, count: o)
        while i < end {
            // The run of plain bytes up to the next quote, backslash or control character, with its position held in
            // locals (the fields of `self` were reloaded for every byte).
            var k = i
            let source = base, stop = end
            while k < stop {
                let c = source[k]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                out[o] = c
                o &+= 1
                k &+= 1
            }
            i = k
            guard i < end else { break }
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return o
            }
            if c < 0x20 { throw JSONError(.controlCharacter, offset: i) }
            if c != UInt8(ascii: "\\") {
                out[o] = c
                o += 1
                i += 1
                continue
            }
            guard i + 1 < end else { throw JSONError(.unexpectedEnd, offset: end) }
            let e = base[i + 1]
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out[o] = e
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "u"):
                let escapeStart = i
                i += 2
                var scalar = try readHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate: a pair needs `\uDC00`–`\uDFFF` right after it.
                    if i + 1 < end, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try readHex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save  // not a pair: the next escape stands on its own
                            scalar = try loneSurrogate(at: escapeStart)
                        }
                    } else {
                        scalar = try loneSurrogate(at: escapeStart)
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = try loneSurrogate(at: escapeStart)
                }
                o += Self.writeUTF8(scalar, to: out + o)
                continue
            default:
                throw JSONError(.invalidEscape, offset: i)
            }
            o += 1
            i += 2
        }
        throw JSONError(.unexpectedEnd, offset: i)
    }

    private func loneSurrogate(at offset: Int) throws(JSONError) -> UInt32 {
        if rejectLoneSurrogates { throw JSONError(.invalidUnicode, offset: offset) }
        return 0xFFFD
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= end else { throw JSONError(.unexpectedEnd, offset: end) }
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = base[i + k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c &- UInt8(ascii: "A") &+ 10
            default: throw JSONError(.invalidEscape, offset: i + k)
            }
            value = value << 4 | UInt32(digit)
        }
        i += 4
        return value
    }

    /// Writes `scalar` as UTF-8 (1–4 bytes, never more than the 6-byte `\\u` escape it came from); returns the count.
    private static func writeUTF8(_ scalar: UInt32, to p: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case ..<0x80:
            p[0] = UInt8(scalar)
            return 1
        case ..<0x800:
            p[0] = UInt8(0xC0 | scalar >> 6)
            p[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case ..<0x10000:
            p[0] = UInt8(0xE0 | scalar >> 12)
            p[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            p[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            p[0] = UInt8(0xF0 | scalar >> 18)
            p[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            p[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            p[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    // MARK: Numbers

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?` → `.int` when integral and fits in `Int`, else `.double`.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = i
        var negative = false
        if base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < end, isDigit(base[i]) else { throw JSONError(i < end ? .invalidNumber : .unexpectedEnd, offset: i) }
        // Significant digits (at most 19 kept exactly) and the power of ten they are scaled by.
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var exact = true
        if base[i] == UInt8(ascii: "0") {
            i += 1
            if i < end, isDigit(base[i]) { throw JSONError(.invalidNumber, offset: i) }
        } else {
            while i < end, isDigit(base[i]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[i] &- UInt8(ascii: "0"))
                    digits += 1
                } else {
                    exponent += 1
                    if base[i] != UInt8(ascii: "0") { exact = false }
                }
                i += 1
            }
        }
        var integral = true
        if i < end, base[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < end, isDigit(base[i]) else { throw JSONError(i < end ? .invalidNumber : .unexpectedEnd, offset: i) }
            while i < end, isDigit(base[i]) {
                let d = base[i] &- UInt8(ascii: "0")
                if digits < 19 {
                    if mantissa != 0 || d != 0 {
                        mantissa = mantissa &* 10 &+ UInt64(d)
                        digits += 1
                    }
                    exponent -= 1
                } else if d != 0 {
                    exact = false
                }
                i += 1
            }
        }
        if i < end, base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            var negativeExponent = false
            if i < end, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") {
                negativeExponent = base[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end, isDigit(base[i]) else { throw JSONError(i < end ? .invalidNumber : .unexpectedEnd, offset: i) }
            var e = 0
            while i < end, isDigit(base[i]) {
                if e < 100_000 { e = e * 10 + Int(base[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            exponent += negativeExponent ? -e : e
        }

        if integral && exact && exponent == 0 {
            if negative {
                if mantissa <= UInt64(Int.max) { return .int(-Int(mantissa)) }
                if mantissa == UInt64(Int.max) + 1 { return .int(Int.min) }
            } else if mantissa <= UInt64(Int.max) {
                return .int(Int(mantissa))
            }
        }
        var value: Double
        if exact && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
            value = Double(mantissa)
            if exponent >= 0 { value *= JSONParser.powersOfTen[exponent] } else { value /= JSONParser.powersOfTen[-exponent] }
            if negative { value = -value }
        } else if mantissa == 0 && exact {
            value = negative ? -0.0 : 0.0
        } else {
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            guard let parsed = Double(text) else { throw JSONError(.invalidNumber, offset: start) }
            value = parsed
        }
        if let exactInt = JSONValue.exactInt(value) { return .int(exactInt) }
        return .double(value)
    }
}
