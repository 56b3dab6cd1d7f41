/// Incremental UTF-8 validation (RFC 3629) with Björn Höhrmann's DFA: fails on the first byte that cannot
/// start or continue a valid sequence (overlongs, surrogates, > U+10FFFF), so a bad text message is refused
/// as soon as the offending byte arrives rather than after reassembly. State carries across calls, which is
/// what lets a code point be split across fragments or reads.
public struct UTF8Validator: Sendable {
    static let accept: UInt8 = 0
    static let reject: UInt8 = 12

    var state: UInt8 = 0

    public init() {}

    /// True when no sequence is open: only then may a text message end.
    public var isAtBoundary: Bool { state == Self.accept }
    public var hasFailed: Bool { state == Self.reject }

    public mutating func reset() { state = Self.accept }

    /// Feeds `bytes`; returns false once invalid input has been seen (and keeps returning false).
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if state == Self.reject { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var s = state
        var i = 0
        Self.table.withUnsafeBufferPointer { t in
            while i < count {
                // ASCII runs are the common case (JSON); skip them a word at a time between code points.
                if s == Self.accept {
                    while i + 8 <= count,
                          base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                        i += 8
                    }
                    if i >= count { break }
                }
                let byteClass = t[Int(base.load(fromByteOffset: i, as: UInt8.self))]
                s = t[256 + Int(s) + Int(byteClass)]
                if s == Self.reject { break }
                i += 1
            }
        }
        state = s
        return s != Self.reject
    }

    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// One-shot check of a complete sequence.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var v = UTF8Validator()
        return v.validate(bytes) && v.isAtBoundary
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { isValid($0) } }

    // Bytes 0–255 map to character classes, then (state, class) -> state with states premultiplied by 12.
    // Classes: 0 ASCII, 1 80–8F, 9 90–9F, 7 A0–BF, 8 C0–C1 / F5–FF (never valid), 2 C2–DF, 10 E0,
    // 3 E1–EC / EE–EF, 4 ED (surrogate guard), 11 F0, 6 F1–F3, 5 F4 (> U+10FFFF guard).
    static let table: [UInt8] = [
        0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
        0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
        0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
        0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
        1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,
        7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
        8,8,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
        10,3,3,3,3,3,3,3,3,3,3,3,3,4,3,3,11,6,6,6,5,8,8,8,8,8,8,8,8,8,8,8,
        // state 0: start of a code point
        0,12,24,36,60,96,84,12,12,12,48,72,
        // state 12: rejected (sticky)
        12,12,12,12,12,12,12,12,12,12,12,12,
        // state 24: one continuation byte left
        12,0,12,12,12,12,12,0,12,0,12,12,
        // state 36: two continuation bytes left
        12,24,12,12,12,12,12,24,12,24,12,12,
        // state 48: after E0, A0–BF only (no overlong 3-byte forms)
        12,12,12,12,12,12,12,24,12,12,12,12,
        // state 60: after ED, 80–9F only (no surrogates)
        12,24,12,12,12,12,12,12,12,24,12,12,
        // state 72: after F0, 90–BF only (no overlong 4-byte forms)
        12,12,12,12,12,12,12,36,12,36,12,12,
        // state 84: after F1–F3, any continuation then two more
        12,36,12,12,12,12,12,36,12,36,12,12,
        // state 96: after F4, 80–8F only (≤ U+10FFFF)
        12,36,12,12,12,12,12,12,12,12,12,12,
    ]
}
