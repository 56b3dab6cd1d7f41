// Serialisation byte for byte as JavaScript's `JSON.stringify` writes it: no spaces; `"` `\` and control characters escaped
// (`\b \f \n \r \t`, the others `\u00XX` in lower-case hex); `/` and non-ASCII left alone; numbers as `Number#toString`
// (integers without `.0`, otherwise the shortest digits that round-trip, exponent form outside 1e-7 < |x| < 1e21); a
// non-finite double as `null`.

extension JSONValue {
    /// Appends the JSON text of this value to `out`.
    public func serialize(into out: inout [UInt8]) {
        // Written through a pointer into stack scratch (heap only past 1 KiB), then appended to `out` in one copy: appending
        // byte by byte to an Array pays a uniqueness check per byte.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { scratch in
            var writer = JSONByteWriter(scratch: scratch.baseAddress!, capacity: 1024)
            JSONByteWriter.write(self, to: &writer)
            out.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
            writer.release()
        }
    }

    /// The JSON text as bytes.
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        serialize(into: &out)
        return out
    }
}

/// A growable byte buffer written through a pointer; starts on caller-provided scratch.
struct JSONByteWriter {
    var base: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var count = 0
    var onHeap = false

    init(scratch: UnsafeMutablePointer<UInt8>, capacity: Int) {
        base = scratch
        self.capacity = capacity
    }

    mutating func release() {
        if onHeap { base.deallocate() }
    }

    @inline(never)
    mutating func grow(minimum: Int) {
        let newCapacity = max(capacity * 2, count + minimum)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        if onHeap { base.deallocate() }
        base = newBase
        capacity = newCapacity
        onHeap = true
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        if count == capacity { grow(minimum: 1) }
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    mutating func bytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if capacity - count < n { grow(minimum: n) }
        (base + count).update(from: p, count: n)
        count &+= n
    }

    @inline(__always)
    mutating func literal(_ s: StaticString) { bytes(s.utf8Start, s.utf8CodeUnitCount) }

    static func write(_ value: JSONValue, to w: inout JSONByteWriter) {
        switch value {
        case .null: w.literal("null")
        case .bool(let b): w.literal(b ? "true" : "false")
        case .int(let i): w.int(i)
        case .double(let d):
            if let i = JSONValue.exactInt(d), i.magnitude < 1 << 53 {
                w.int(i)  // also -0 → "0"
            } else if !w.shortDecimal(d) {
                var text: [UInt8] = []
                JSONWriter.appendDouble(d, to: &text)
                text.withUnsafeBufferPointer { w.bytes($0.baseAddress!, $0.count) }
            }
        case .string(let s): w.string(s)
        case .array(let elements):
            w.byte(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { w.byte(UInt8(ascii: ",")) }
                first = false
                write(element, to: &w)
            }
            w.byte(UInt8(ascii: "]"))
        case .object(let object):
            w.byte(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { w.byte(UInt8(ascii: ",")) }
                first = false
                w.string(entry.key)
                w.byte(UInt8(ascii: ":"))
                write(entry.value, to: &w)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    mutating func int(_ value: Int) {
        if value >= 0 && value < 10 {
            byte(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        if capacity - count < 20 { grow(minimum: 20) }
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count &+= 1
        }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits &+= 1
            probe /= 10
        } while probe > 0
        var k = count &+ digits
        count = k
        repeat {
            k &-= 1
            base[k] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

    /// The fast path for doubles with few decimals (72.5, 0.25, -3.125): when m / 10^k == d for the integer m = round(d·10^k)
    /// with the smallest such k ≤ 15 and |m| < 2^53, the text m·10^-k is the shortest that round-trips (the division is
    /// correctly rounded since both operands are exact). Returns false to leave the general formatting to the caller.
    mutating func shortDecimal(_ d: Double) -> Bool {
        let magnitude = d.magnitude
        guard magnitude >= 1e-6, magnitude < 1e15 else { return false }
        for k in 1...15 {
            let p = JSONByteWriter.powersOfTen[k]
            let x = d * p
            guard x.magnitude < 9_007_199_254_740_992 else { return false }
            var m = Int(x + (x < 0 ? -0.5 : 0.5))
            guard Double(m) / p == d else { continue }
            // A trailing zero means a shorter k was missed to rounding above: leave it to the general path.
            if m % 10 == 0 { return false }
            // m with k decimals: digits, then the point k places from the right, "0." padding when m has ≤ k digits.
            if capacity - count < 40 { grow(minimum: 40) }
            if m < 0 {
                byte(UInt8(ascii: "-"))
                m = -m
            }
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, filled from the right
            return withUnsafeMutableBytes(of: &digits) { raw -> Bool in
                var n = 0
                var v = m
                repeat {
                    n += 1
                    raw[24 - n] = UInt8(ascii: "0") &+ UInt8(v % 10)
                    v /= 10
                } while v > 0
                let first = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + (24 - n)
                if n <= k {
                    byte(UInt8(ascii: "0"))
                    byte(UInt8(ascii: "."))
                    for _ in 0..<(k - n) { byte(UInt8(ascii: "0")) }
                    bytes(first, n)
                } else {
                    bytes(first, n - k)
                    byte(UInt8(ascii: "."))
                    bytes(first + (n - k), k)
                }
                return true
            }
        }
        return false
    }

    @inline(__always)
    mutating func string(_ s: String) {
        byte(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ escaped($0) }) == nil {
            var copy = s
            copy.withUTF8 { escaped($0) }
        }
        byte(UInt8(ascii: "\""))
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// In chunks of at most 4 KiB of input, each with room reserved for its worst case (every byte a 6-byte `\u00XX`) so
    /// that the loop writes through a local pointer without a capacity check per byte; a string full of quotes cost
    /// ~20 instructions per byte through `byte`/`bytes`.
    mutating func escaped(_ input: UnsafeBufferPointer<UInt8>) {
        guard let p = input.baseAddress else { return }
        let n = input.count
        var j = 0
        while j < n {
            let chunkEnd = min(n, j &+ 4096)
            if capacity - count < (chunkEnd - j) &* 6 { grow(minimum: (chunkEnd - j) &* 6) }
            var out = base + count
            while j < chunkEnd {
                let c = p[j]
                j &+= 1
                if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                    out.pointee = c
                    out += 1
                    continue
                }
                out[0] = UInt8(ascii: "\\")
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out[1] = c
                case 0x08: out[1] = UInt8(ascii: "b")
                case 0x0C: out[1] = UInt8(ascii: "f")
                case 0x0A: out[1] = UInt8(ascii: "n")
                case 0x0D: out[1] = UInt8(ascii: "r")
                case 0x09: out[1] = UInt8(ascii: "t")
                default:
                    let hex = JSONByteWriter.hexDigits.utf8Start
                    out[1] = UInt8(ascii: "u")
                    out[2] = UInt8(ascii: "0")
                    out[3] = UInt8(ascii: "0")
                    out[4] = hex[Int(c >> 4)]
                    out[5] = hex[Int(c & 0xF)]
                    out += 6
                    continue
                }
                out += 2
            }
            count = out - base
        }
    }
}

public enum JSONWriter {
    @inline(__always)
    static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `s` as a JSON string literal (with its quotes).
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        JSONValue.string(s).serialize(into: &out)
    }

    /// Appends the decimal digits of `value`.
    public static func appendInt(_ value: Int, to out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var k = 20
            while magnitude > 0 {
                k -= 1
                buffer[k] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[k..<20]))
        }
    }

    /// Appends `value` as JavaScript's `Number#toString` writes it; `null` when it is not finite (as `JSON.stringify`).
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            append("null", to: &out)
            return
        }
        if value == 0 {
            out.append(UInt8(ascii: "0"))  // JSON.stringify(-0) is "0"
            return
        }
        if let i = JSONValue.exactInt(value), i.magnitude < 1 << 53 {
            appendInt(i, to: &out)
            return
        }
        // Swift's description holds the shortest digits that round-trip; only the layout differs from JavaScript's.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var pointPosition = 0  // digits before the decimal point, before leading zeros are stripped
        var sawPoint = false
        var exponent = 0
        var negative = false
        var inExponent = false
        var exponentNegative = false
        for c in value.description.utf8 {
            if inExponent {
                if c == UInt8(ascii: "-") { exponentNegative = true } else if c != UInt8(ascii: "+") {
                    exponent = exponent * 10 + Int(c &- UInt8(ascii: "0"))
                }
                continue
            }
            switch c {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            default:
                digits.append(c)
                if !sawPoint { pointPosition += 1 }
            }
        }
        if exponentNegative { exponent = -exponent }
        // Strip leading zeros (0.00123 → 123 with the point moved) and trailing zeros.
        var leading = 0
        while leading < digits.count - 1, digits[leading] == UInt8(ascii: "0") { leading += 1 }
        var trailing = digits.count
        while trailing > leading + 1, digits[trailing - 1] == UInt8(ascii: "0") { trailing -= 1 }
        let s = digits[leading..<trailing]
        let k = s.count
        // value = 0.s × 10^n
        let n = pointPosition - leading + exponent
        if negative { out.append(UInt8(ascii: "-")) }
        if k <= n && n <= 21 {
            out.append(contentsOf: s)
            for _ in 0..<(n - k) { out.append(UInt8(ascii: "0")) }
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: s.prefix(n))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: s.dropFirst(n))
        } else if -6 < n && n <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-n) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: s)
        } else {
            out.append(s[s.startIndex])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: s.dropFirst())
            }
            out.append(UInt8(ascii: "e"))
            let e = n - 1
            out.append(e >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            appendInt(abs(e), to: &out)
        }
    }
}
