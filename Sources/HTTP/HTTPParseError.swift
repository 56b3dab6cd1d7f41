/// Why a request could not be parsed. The server answers with `status` and `reason`, then closes the connection:
/// after any of these the byte stream can no longer be trusted to be framed the way the client meant.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// 414: the request line (with preceding empty lines) exceeds `HTTPLimits.maxRequestLineBytes`.
    case requestLineTooLong
    /// 431: the header section (with trailers) exceeds `maxHeaderBytes` or `maxHeaderCount`.
    case headersTooLarge
    /// 413: the announced Content-Length, or the running total of chunk sizes, exceeds `maxBodyBytes`.
    case bodyTooLarge
    /// 400, with a short human reason.
    case malformed(String)
    /// 505: a well-formed HTTP version other than 1.0 and 1.1.
    case unsupportedVersion
    /// 501: a Transfer-Encoding other than `chunked`, or `chunked` not the final coding.
    case unsupportedTransferEncoding

    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .headersTooLarge: 431
        case .bodyTooLarge: 413
        case .malformed: 400
        case .unsupportedVersion: 505
        case .unsupportedTransferEncoding: 501
        }
    }

    public var reason: String {
        switch self {
        case .requestLineTooLong: "request line too long"
        case .headersTooLarge: "request header fields too large"
        case .bodyTooLarge: "request body too large"
        case .malformed(let why): "bad request: \(why)"
        case .unsupportedVersion: "HTTP version not supported"
        case .unsupportedTransferEncoding: "transfer coding not implemented"
        }
    }
}
