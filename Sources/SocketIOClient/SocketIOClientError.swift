import GatewayProtocol

/// What went wrong, worded for the person who has to fix it.
public enum SocketIOClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The TLS client context could not be made (bad CA file, for example).
    case tls(String)
    /// The Engine.IO session could not be opened (connect refused, handshake refused, bad open packet).
    case openFailed(String)
    /// The namespace refused the CONNECT: the server's message and data (`connect_error`).
    case connectRefused(message: String, data: JSONValue?)
    /// No acknowledgement within the timeout.
    case ackTimedOut(event: String, afterMs: UInt64)
    /// The socket disconnected before the acknowledgement arrived.
    case disconnected(String)

    public var description: String {
        switch self {
        case .invalidURL(let why): "invalid URL: \(why)"
        case .tls(let why): "TLS: \(why)"
        case .openFailed(let why): "cannot open the Engine.IO session: \(why)"
        case .connectRefused(let message, let data): "namespace refused the connection: \(message)\(data.map { " \($0)" } ?? "")"
        case .ackTimedOut(let event, let ms): "no acknowledgement for '\(event)' within \(ms) ms"
        case .disconnected(let reason): "disconnected before the acknowledgement: \(reason)"
        }
    }
}
