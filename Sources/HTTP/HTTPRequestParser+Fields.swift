// Header and trailer field lines, and the body-framing decision taken from them (RFC 9112 §5, §6.3).

extension HTTPRequestParser {
    /// Reads header (or trailer) field lines up to the empty line ending the section. Returns false when more bytes
    /// are needed. Trailer fields are validated and counted, then discarded: none may alter framing after the fact.
    mutating func parseFieldLines(trailers: Bool) throws(HTTPParseError) -> Bool {
        while true {
            switch try scanLine(budget: limits.maxHeaderBytes - pending.fieldBytes) {
            case .incomplete:
                return false
            case .tooLong:
                throw .headersTooLarge
            case .line(let start, let end, let next):
                readIndex = next
                pending.fieldBytes += next - start
                if start == end { return true }
                pending.fieldCount += 1
                if pending.fieldCount > limits.maxHeaderCount { throw .headersTooLarge }
                try Self.withBytes(buffer) { p throws(HTTPParseError) in
                    let field = try Self.fieldLine(p, start, end)
                    if !trailers { try noteField(p, field) }
                }
            }
        }
    }

    struct FieldLine {
        var nameStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int
    }

    static func fieldLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(HTTPParseError)
        -> FieldLine {
        if isWhitespace(p[start]) { throw .malformed("obs-fold (line folding) is not allowed") }
        var colon = start
        while colon < end && p[colon] != UInt8(ascii: ":") {
            let b = p[colon]
            if isWhitespace(b) { throw .malformed("whitespace in header name") }
            if !isTokenByte(b) { throw .malformed("invalid header name") }
            colon += 1
        }
        guard colon < end else { throw .malformed("header line without colon") }
        guard colon > start else { throw .malformed("empty header name") }
        var vs = colon + 1, ve = end
        while vs < ve && isWhitespace(p[vs]) { vs += 1 }
        while ve > vs && isWhitespace(p[ve - 1]) { ve -= 1 }
        for i in vs..<ve {
            let b = p[i]
            if (b < 0x20 && b != 0x09) || b == 0x7F { throw .malformed("invalid character in header value") }
        }
        return FieldLine(nameStart: start, nameEnd: colon, valueStart: vs, valueEnd: ve)
    }

    mutating func noteField(_ p: UnsafeBufferPointer<UInt8>, _ f: FieldLine) throws(HTTPParseError) {
        let name = Self.string(p, f.nameStart, f.nameEnd)
        pending.head.headers.add(name, Self.string(p, f.valueStart, f.valueEnd))
        if Self.equalsLowercase(p, f.nameStart, f.nameEnd, "content-length") {
            try noteContentLength(p, f.valueStart, f.valueEnd)
        } else if Self.equalsLowercase(p, f.nameStart, f.nameEnd, "transfer-encoding") {
            noteTransferEncoding(p, f.valueStart, f.valueEnd)
        } else if Self.equalsLowercase(p, f.nameStart, f.nameEnd, "host") {
            pending.hostCount += 1
        }
    }

    mutating func noteContentLength(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        throws(HTTPParseError) {
        try HTTPHeaders.forEachListElement(p, start, end) { (i, e) throws(HTTPParseError) in
            guard i < e else { throw .malformed("invalid Content-Length") }
            var value = 0
            for j in i..<e {
                guard Self.isDigit(p[j]) else { throw .malformed("invalid Content-Length") }
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(p[j] - UInt8(ascii: "0")))
                if o1 || o2 { throw .malformed("Content-Length overflow") }
                value = sum
            }
            if let known = pending.contentLength, known != value { throw .malformed("conflicting Content-Length") }
            pending.contentLength = value
        }
    }

    /// Records the codings of one Transfer-Encoding field; `finishHead` judges the combined list.
    mutating func noteTransferEncoding(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        pending.transferEncodingSeen = true
        HTTPHeaders.forEachListElement(p, start, end) { i, e in
            guard i < e else { return }  // empty list elements are allowed (RFC 9110 §5.6.1)
            if Self.equalsLowercase(p, i, e, "chunked") {
                if pending.chunkedSeen { pending.chunkedTwice = true }
                pending.chunkedSeen = true
                pending.lastCodingIsChunked = true
            } else {
                pending.otherCoding = true
                pending.lastCodingIsChunked = false
            }
        }
    }

    /// Decides the body framing once the header section is complete (RFC 9112 §6.3).
    mutating func finishHead() throws(HTTPParseError) {
        let http11 = pending.head.versionMinor == 1
        if pending.hostCount > 1 { throw .malformed("multiple Host headers") }
        if http11 && pending.hostCount == 0 { throw .malformed("missing Host header") }
        if pending.transferEncodingSeen {
            if pending.contentLength != nil { throw .malformed("both Transfer-Encoding and Content-Length") }
            if !http11 { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            if pending.chunkedTwice { throw .malformed("chunked applied more than once") }
            if !pending.chunkedSeen && !pending.otherCoding { throw .malformed("empty Transfer-Encoding") }
            if pending.otherCoding || !pending.lastCodingIsChunked { throw .unsupportedTransferEncoding }
            state = .chunkSize
        } else if let length = pending.contentLength {
            if length > limits.maxBodyBytes { throw .bodyTooLarge }
            // Capped: a client announcing a large body and then stalling should not cost its full size up front.
            pending.body.reserveCapacity(min(length, Self.retainedCapacity))
            state = length > 0 ? .body(remaining: length) : .complete
        } else {
            state = .complete
        }
    }
}
