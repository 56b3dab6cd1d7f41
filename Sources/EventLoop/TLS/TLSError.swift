/// A TLS setup or handshake problem. `message` carries OpenSSL's error queue text and, for file problems, the path,
/// because these end up in operator logs where "handshake failed" alone is useless.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "TLSError: \(message)" }

    /// `context`, followed by whatever OpenSSL queued for this thread (the queue is emptied).
    static func openSSL(_ context: String) -> TLSError {
        let queued = OpenSSLErrors.drain()
        return TLSError(queued.isEmpty ? context : "\(context): \(queued)")
    }
}
