#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum HTTPParserEvent: Sendable {
    /// The head of a request is complete. Emitted for EVERY request before its `.request` (the server uses it to send
    /// `100 Continue` when `head.expectsContinue` and a body is still to come, and to start a body-read timeout).
    case head(HTTPRequestHead)
    /// The whole request, with its body (de-chunked). For an upgrade request (`head.isUpgrade`), emitted right after
    /// `.head` with the body that Content-Length announced if any (normally empty); after it the parser stops
    /// (`nextEvent` returns nil forever) and `takeRemainingBytes()` hands the bytes after the request to the new protocol.
    case request(HTTPRequest)
}

/// Incremental HTTP/1.1 request parser (RFC 9112), strict where leniency enables request smuggling.
///
/// Framing decisions, most of them smuggling defences:
/// - Lines end in CRLF; a bare LF is accepted as a line end, a CR not followed by LF is refused (400).
/// - `Transfer-Encoding` with `Content-Length` -> 400; `chunked` must be the final coding and appear once; any other
///   coding -> 501 (none is implemented). `Transfer-Encoding` in an HTTP/1.0 request -> 400: RFC 9112 §6.1 says such
///   framing must be treated as faulty, and a 1.0 client cannot have meant chunked.
/// - `Content-Length`: digits only (a comma list of identical values is accepted, RFC 9110 §8.6); differing values
///   -> 400; a value that does not fit in an `Int` -> 400; over `maxBodyBytes` -> 413.
/// - HTTP/1.1 requests must carry exactly one `Host` (RFC 9112 §3.2: MUST answer 400 otherwise); HTTP/1.0 at most one.
/// - Header names are tokens (whitespace before the colon -> 400), obs-fold -> 400, control characters other than HT
///   in a value -> 400. Bytes >= 0x80 in values are kept, decoded as UTF-8 (invalid sequences become U+FFFD).
/// - The request target must be visible ASCII: non-ASCII bytes would need a lossy decoding, which could let two
///   different targets map to the same String.
///
/// After `nextEvent` throws, the parser keeps throwing the same error and ignores appended bytes.
public struct HTTPRequestParser: Sendable {
    enum State: Sendable {
        case requestLine
        case headerFields
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerFields
        case complete
        case upgraded
        case failed(HTTPParseError)
    }

    /// What is known about the request being parsed; reset after each `.request`.
    struct Pending: Sendable {
        var head = HTTPRequestHead(method: "", target: "")
        var body: [UInt8] = []
        var leadingEmptyLineBytes = 0
        var fieldBytes = 0
        var fieldCount = 0
        /// Decoded body bytes announced so far plus chunk-extension bytes (see `HTTPLimits`).
        var bodyBudgetUsed = 0
        var contentLength: Int?
        var hostCount = 0
        var transferEncodingSeen = false
        var chunkedSeen = false
        var chunkedTwice = false
        var lastCodingIsChunked = false
        var otherCoding = false
    }

    enum LineScan {
        /// The line's content is `start..<end` (line end excluded); the next line starts at `next`.
        case line(start: Int, end: Int, next: Int)
        case incomplete
        case tooLong
    }

    let limits: HTTPLimits
    var buffer: [UInt8] = []
    /// Bytes before `readIndex` are consumed; they are dropped lazily by `compact()`.
    var readIndex = 0
    /// Where the search for the current line's LF resumes, so that a line dribbled in over many appends is scanned
    /// once in total rather than once per append.
    var scanIndex = 0
    var state: State = .requestLine
    var pending = Pending()

    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    /// A freed buffer above this capacity is released rather than kept, so idle keep-alive connections that once
    /// received a large body do not each pin that much memory.
    static let retainedCapacity = 64 * 1024

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Appends bytes read from the connection (copied into the parser's own buffer).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if case .failed = state { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// True while some bytes of an incomplete request are buffered (the server uses it to choose between the
    /// header-read timeout -> 408 and the idle keep-alive timeout -> silent close). Skipped empty lines before a
    /// request line do not count as a partial request.
    public var hasPartialRequest: Bool {
        switch state {
        case .requestLine: readIndex < buffer.count
        case .upgraded, .failed: false
        default: true
        }
    }

    /// True when the head of the current request is complete and its body is still being read.
    public var isReadingBody: Bool {
        switch state {
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailerFields: true
        default: false
        }
    }

    /// After an upgrade request: the bytes that followed it. Clears them. (Called in any other state it also drops
    /// the buffered bytes, which breaks the stream; the server only calls it after an upgrade.)
    public mutating func takeRemainingBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// The next event from the buffered bytes, or nil when more bytes are needed. After a throw, the parser is
    /// unusable (the server answers with error.status and closes).
    public mutating func nextEvent() throws(HTTPParseError) -> HTTPParserEvent? {
        do throws(HTTPParseError) {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    mutating func step() throws(HTTPParseError) -> HTTPParserEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .upgraded:
                return nil
            case .requestLine:
                guard try parseRequestLine() else { return nil }
                state = .headerFields
            case .headerFields:
                guard try parseFieldLines(trailers: false) else { return nil }
                try finishHead()
                return .head(pending.head)
            case .body(let remaining):
                guard readBodyBytes(remaining) else { return nil }
            case .chunkSize:
                guard try parseChunkSizeLine() else { return nil }
            case .chunkData(let remaining):
                guard readChunkData(remaining) else { return nil }
            case .chunkDataEnd:
                guard try parseChunkDataEnd() else { return nil }
            case .trailerFields:
                guard try parseFieldLines(trailers: true) else { return nil }
                state = .complete
            case .complete:
                let request = HTTPRequest(head: pending.head, body: pending.body)
                pending = Pending()
                state = request.head.isUpgrade ? .upgraded : .requestLine
                return .request(request)
            }
        }
    }

    // MARK: Buffer

    /// Drops the consumed prefix, but only once it is at least half the buffered bytes, so each byte is moved at
    /// most about once on average.
    mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedCapacity { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            scanIndex = 0
            readIndex = 0
        } else if readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
            scanIndex = max(0, scanIndex - readIndex)
            readIndex = 0
        }
    }

    /// Lends `bytes` (the parser's `buffer`, passed by value) to `body`: being static, it does not keep `self`
    /// borrowed, so `body` may mutate `self`. The copy only retains the storage; nothing mutates `buffer` meanwhile.
    @inline(__always)
    static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> R)
        throws(HTTPParseError) -> R {
        try bytes.withUnsafeBufferPointer(body)
    }

    /// Finds the line starting at `readIndex` whose length, line end included, is at most `budget`. Reports
    /// `.tooLong` as soon as `budget` bytes are buffered without a LF among them, so that a limit holds while bytes
    /// are still arriving.
    mutating func scanLine(budget: Int) throws(HTTPParseError) -> LineScan {
        let start = readIndex
        let count = buffer.count
        let searchEnd = count - start > budget ? start + max(budget, 0) : count
        let from = max(scanIndex, start)
        if from < searchEnd {
            let found: (lf: Int, end: Int)? = try Self.withBytes(buffer) { p throws(HTTPParseError) in
                let base = UnsafeRawPointer(p.baseAddress!)
                guard let hit = memchr(base + from, Int32(Self.lf), searchEnd - from) else { return nil }
                let lf = base.distance(to: UnsafeRawPointer(hit))
                let end = lf > start && p[lf - 1] == Self.cr ? lf - 1 : lf
                // A CR anywhere else is refused rather than read as a line end: peers disagree on bare CRs.
                if end > start && memchr(base + start, Int32(Self.cr), end - start) != nil {
                    throw .malformed("bare CR")
                }
                return (lf, end)
            }
            if let found { return .line(start: start, end: found.end, next: found.lf + 1) }
            scanIndex = searchEnd
        }
        return count - start >= budget ? .tooLong : .incomplete
    }

    // MARK: Head

    mutating func parseRequestLine() throws(HTTPParseError) -> Bool {
        while true {
            switch try scanLine(budget: limits.maxRequestLineBytes - pending.leadingEmptyLineBytes) {
            case .incomplete:
                return false
            case .tooLong:
                throw .requestLineTooLong
            case .line(let start, let end, let next):
                readIndex = next
                if start == end {
                    pending.leadingEmptyLineBytes += next - start
                    continue
                }
                pending.head = try Self.withBytes(buffer) { p throws(HTTPParseError) in try Self.requestHead(p, start, end) }
                return true
            }
        }
    }

    static func requestHead(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(HTTPParseError)
        -> HTTPRequestHead {
        let space = UInt8(ascii: " ")
        var sp1 = start
        while sp1 < end && p[sp1] != space { sp1 += 1 }
        var sp2 = sp1 + 1
        while sp2 < end && p[sp2] != space { sp2 += 1 }
        guard sp2 < end else { throw .malformed("malformed request line") }
        guard sp1 > start else { throw .malformed("empty method") }
        for i in start..<sp1 where !isTokenByte(p[i]) { throw .malformed("invalid method") }
        guard sp2 > sp1 + 1 else { throw .malformed("empty request target") }
        for i in (sp1 + 1)..<sp2 where !(0x21...0x7E).contains(p[i]) {
            throw .malformed("invalid character in request target")
        }
        // Exactly `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3); this also refuses a second space or trailing bytes.
        let v = sp2 + 1
        guard end - v == 8, p[v] == UInt8(ascii: "H"), p[v + 1] == UInt8(ascii: "T"), p[v + 2] == UInt8(ascii: "T"),
              p[v + 3] == UInt8(ascii: "P"), p[v + 4] == UInt8(ascii: "/"), isDigit(p[v + 5]),
              p[v + 6] == UInt8(ascii: "."), isDigit(p[v + 7])
        else { throw .malformed("invalid HTTP version") }
        let major = Int(p[v + 5] - UInt8(ascii: "0")), minor = Int(p[v + 7] - UInt8(ascii: "0"))
        guard major == 1 && (minor == 0 || minor == 1) else { throw .unsupportedVersion }
        return HTTPRequestHead(method: string(p, start, sp1), target: string(p, sp1 + 1, sp2),
                               versionMajor: major, versionMinor: minor)
    }

    /// Returns true when the Content-Length body is complete.
    mutating func readBodyBytes(_ remaining: Int) -> Bool {
        let left = takeBodyBytes(remaining)
        state = left == 0 ? .complete : .body(remaining: left)
        return left == 0
    }

    /// Moves up to `remaining` buffered bytes into the body (both framings); returns how many are still to come.
    mutating func takeBodyBytes(_ remaining: Int) -> Int {
        let n = min(remaining, buffer.count - readIndex)
        if n > 0 {
            pending.body.append(contentsOf: buffer[readIndex..<(readIndex + n)])
            readIndex += n
        }
        return remaining - n
    }

    // MARK: Byte classes

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// tchar (RFC 9110 §5.6.2).
    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    /// ASCII case-insensitive comparison against a lowercase literal made of letters and `-` only: for those,
    /// `b | 0x20` matches exactly the byte itself and its uppercase form.
    static func equalsLowercase(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ lower: StaticString)
        -> Bool {
        guard end - start == lower.utf8CodeUnitCount else { return false }
        let l = lower.utf8Start
        for i in 0..<(end - start) where p[start + i] | 0x20 != l[i] { return false }
        return true
    }

    static func string(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
    }
}
