/// How the HTTP server treats its clients. Every limit here is configurable and enforced at its exact edge.
public struct HTTPServerConfiguration: Sendable {
    public var limits: HTTPLimits
    /// Time allowed to receive a request's head, counted from its first byte (not reset per byte: a client dribbling one
    /// byte a second is cut off). Exceeded with a partial request: 408 and close.
    public var headerTimeoutMs: UInt64
    /// Time a keep-alive connection may sit with nothing in flight before it is closed silently; also the longest pause
    /// allowed between two reads of a request body.
    public var idleTimeoutMs: UInt64
    /// Unanswered pipelined requests per connection; past it the server stops reading that connection until it catches up.
    public var maxPipelinedRequests: Int
    public var cors: CORSPolicy?
    public var compressionThresholdBytes: Int
    /// `Strict-Transport-Security: max-age=…` on responses sent over TLS; 0 sends none.
    public var hstsMaxAgeSeconds: Int

    public init(limits: HTTPLimits = HTTPLimits(), headerTimeoutMs: UInt64 = 10_000, idleTimeoutMs: UInt64 = 30_000,
                maxPipelinedRequests: Int = 16, cors: CORSPolicy? = nil, compressionThresholdBytes: Int = 1024,
                hstsMaxAgeSeconds: Int = 0) {
        self.limits = limits
        self.headerTimeoutMs = headerTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.maxPipelinedRequests = maxPipelinedRequests
        self.cors = cors
        self.compressionThresholdBytes = compressionThresholdBytes
        self.hstsMaxAgeSeconds = hstsMaxAgeSeconds
    }
}
