/// Size limits the request parser enforces, each at its exact edge: a value equal to the limit is accepted and one
/// byte (or field) more is refused. Limits also hold while bytes are still arriving: a line that can no longer fit is
/// refused as soon as enough bytes are buffered to know it, not when its line end finally arrives.
///
/// What is counted:
/// - `maxRequestLineBytes`: the request line including its line end (CRLF, or a bare LF), plus any empty lines that
///   precede it (RFC 9112 §2.2 lets a server skip them; counting them keeps a stream of CRLFs from being skipped
///   forever). Over the limit -> `requestLineTooLong` (414).
/// - `maxHeaderBytes`: every byte after the request line up to and including the empty line that ends the header
///   section, line ends included (`Host: a\r\n\r\n` is 11 bytes). Chunked trailer lines, their line ends and the
///   empty line ending the trailers draw on the same budget. Over -> `headersTooLarge` (431).
/// - `maxHeaderCount`: header field lines, plus trailer field lines of a chunked body. Over -> `headersTooLarge` (431).
/// - `maxBodyBytes`: the decoded body (Content-Length, or the sum of chunk sizes). Chunk-extension bytes (from the
///   end of the chunk-size digits to the end of the line) also draw on it, so that extensions, which are discarded,
///   cannot make a client stream unbounded data at us (cf. CVE-2024-22019). Over -> `bodyTooLarge` (413), decided
///   from the announced Content-Length or chunk size, before the bytes are read.
public struct HTTPLimits: Sendable {
    public var maxRequestLineBytes: Int
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int
    /// 1_000_000 by default: Engine.IO's `maxHttpBufferSize`.
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1_000_000) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
