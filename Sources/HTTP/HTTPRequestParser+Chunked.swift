// Chunked transfer coding (RFC 9112 §7.1): the parts of the state machine between the head and `.complete`.

extension HTTPRequestParser {
    /// Longest chunk-size line accepted (size, extensions, line end). A real client sends a few hex digits; the cap
    /// keeps one line from being buffered without bound, the body budget bounds the sum of extensions.
    static let maxChunkSizeLineBytes = 4096

    mutating func parseChunkSizeLine() throws(HTTPParseError) -> Bool {
        switch try scanLine(budget: Self.maxChunkSizeLineBytes) {
        case .incomplete:
            return false
        case .tooLong:
            throw .malformed("chunk size line too long")
        case .line(let start, let end, let next):
            let (size, extensionBytes) = try Self.withBytes(buffer) { p throws(HTTPParseError) in
                try Self.chunkSize(p, start, end)
            }
            readIndex = next
            // Subtraction rather than addition: `size` may be close to Int.max.
            if size > limits.maxBodyBytes - pending.bodyBudgetUsed - extensionBytes { throw .bodyTooLarge }
            pending.bodyBudgetUsed += extensionBytes + size
            state = size == 0 ? .trailerFields : .chunkData(remaining: size)
            return true
        }
    }

    /// Parses `1*HEXDIG [ *( BWS ";" ext ) ]`; returns the size and the byte count of the extensions, which are
    /// otherwise ignored.
    static func chunkSize(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(HTTPParseError)
        -> (size: Int, extensionBytes: Int) {
        var i = start
        var size = 0
        while i < end, let digit = PercentEncoding.hexValue(p[i]).map(Int.init) {
            // Overflow is refused, never wrapped or truncated: a peer that reads the size differently would see a
            // different message boundary.
            if size > Int.max >> 4 { throw .malformed("chunk size overflow") }
            size = size << 4 | digit
            i += 1
        }
        guard i > start else { throw .malformed("bad chunk size") }
        let digitsEnd = i
        while i < end && isWhitespace(p[i]) { i += 1 }
        if i == end {
            // BWS is only allowed before a `;`.
            guard i == digitsEnd else { throw .malformed("bad chunk size") }
            return (size, 0)
        }
        guard p[i] == UInt8(ascii: ";") else { throw .malformed("bad chunk size") }
        for j in i..<end {
            let b = p[j]
            if (b < 0x20 && b != 0x09) || b == 0x7F { throw .malformed("invalid character in chunk extension") }
        }
        return (size, end - digitsEnd)
    }

    /// Returns true when the chunk's data is complete.
    mutating func readChunkData(_ remaining: Int) -> Bool {
        let left = takeBodyBytes(remaining)
        state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
        return left == 0
    }

    /// The CRLF (or bare LF) after a chunk's data; anything else means the sizes lie about the data.
    mutating func parseChunkDataEnd() throws(HTTPParseError) -> Bool {
        let available = buffer.count - readIndex
        guard available > 0 else { return false }
        switch buffer[readIndex] {
        case Self.lf:
            readIndex += 1
        case Self.cr:
            guard available > 1 else { return false }
            guard buffer[readIndex + 1] == Self.lf else { throw .malformed("missing CRLF after chunk data") }
            readIndex += 2
        default:
            throw .malformed("missing CRLF after chunk data")
        }
        state = .chunkSize
        return true
    }
}
