extension GatewayConfiguration {
    /// The outbound HTTP client (`CurlHTTPClient`) that modules reach through `context.http`: Twilio, JWKS.
    public struct HTTPClientSettings: Sendable, Equatable {
        /// The whole exchange (queueing, connect, request, response) when a request names no timeout of its own.
        public var timeoutMs = 10_000
        public var connectTimeoutMs = 5_000
        /// Transfers on the wire at once; more wait in a FIFO queue.
        public var maxConcurrent = 64
        /// Requests waiting for a free transfer slot; more are refused at once with `.overloaded`.
        public var maxQueued = 1_024
        /// Largest response body accepted, and separately the largest response header block.
        public var maxResponseBytes = 1_048_576
        /// PEM bundle of trusted CAs instead of the system's (private CAs, tests); nil = the system store.
        public var caFile: String?
        public init() {}
    }
}

extension GatewayOptions {
    static let httpClientOptions: [OptionSpec] = [
        OptionSpec("httpClient.timeoutMs", env: "GATEWAY_HTTP_CLIENT_TIMEOUT_MS", kind: .durationMs(1...maxDurationMs),
                   default: .int(10_000),
                   help: "Outbound HTTP: the whole exchange, time waiting in the queue included, unless a request sets its own.") {
            $0.configuration.httpClient.timeoutMs = $1.int
        },
        OptionSpec("httpClient.connectTimeoutMs", env: "GATEWAY_HTTP_CLIENT_CONNECT_TIMEOUT_MS",
                   kind: .durationMs(1...maxDurationMs), default: .int(5_000),
                   help: "Outbound HTTP: TCP and TLS connection set-up.") {
            $0.configuration.httpClient.connectTimeoutMs = $1.int
        },
        OptionSpec("httpClient.maxConcurrent", env: "GATEWAY_HTTP_CLIENT_MAX_CONCURRENT", kind: .int(1...100_000),
                   default: .int(64), help: "Outbound HTTP: transfers in flight at once; more wait in a queue.") {
            $0.configuration.httpClient.maxConcurrent = $1.int
        },
        OptionSpec("httpClient.maxQueued", env: "GATEWAY_HTTP_CLIENT_MAX_QUEUED", kind: .int(0...1_000_000),
                   default: .int(1_024),
                   help: "Outbound HTTP: requests waiting for a transfer slot; more fail at once as overloaded.") {
            $0.configuration.httpClient.maxQueued = $1.int
        },
        OptionSpec("httpClient.maxResponseBytes", env: "GATEWAY_HTTP_CLIENT_MAX_RESPONSE_BYTES", kind: .int(1...Int.max),
                   default: .int(1_048_576),
                   help: "Outbound HTTP: largest response body (and header block); larger fails the request.") {
            $0.configuration.httpClient.maxResponseBytes = $1.int
        },
        OptionSpec("httpClient.caFile", env: "GATEWAY_HTTP_CLIENT_CA_FILE", kind: .path, default: nil,
                   help: "Outbound HTTP: PEM file of trusted CAs instead of the system's; peers are always verified.") {
            $0.configuration.httpClient.caFile = $1.string
        },
    ]
}
