// Outbound HTTP through the contract (contract 0.3): Twilio, JWKS, the main backend. The gateway runs the requests on
// libcurl's multi interface driven by its event loop; a handler awaits the response, no loop ever blocks.

public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The whole exchange, connect to last byte. `nil`: the gateway's default (`httpClient.timeoutMs`).
    public var timeoutMs: Int?
    /// HTTP Basic credentials (user, password), sent only over the request's own connection.
    public var basicAuth: (user: String, password: String)?

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeoutMs: Int? = nil, basicAuth: (user: String, password: String)? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
        self.basicAuth = basicAuth
    }
}

public struct OutboundResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
    /// The first header of that name, compared without case.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Why a request got no HTTP response. A response with any status (also 4xx/5xx) is not an error.
public struct OutboundHTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No connection was made (DNS, refused, unreachable): safe to retry, nothing reached the server.
        case connect
        /// The deadline passed; the server may or may not have acted on the request.
        case timeout
        /// TLS failed, including certificate verification: not retried.
        case tls
        /// The connection broke after the request may have been sent.
        case transfer
        /// Too many requests already in flight or waiting (`httpClient.maxConcurrent` and its queue).
        case overloaded
        /// The request itself is unusable (bad URL, unsupported scheme).
        case invalidRequest
    }
    public let kind: Kind
    public let message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

public protocol OutboundHTTPClient: Sendable {
    func send(_ request: OutboundRequest) async throws(OutboundHTTPError) -> OutboundResponse
}
