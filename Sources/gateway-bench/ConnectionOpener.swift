import EventLoop
import WebSocket

/// Opens `target` WebSockets from one loop with at most `maxPending` handshakes in flight. Loop-confined.
final class ConnectionOpener {
    let loop: EventLoop
    let options: BenchOptions
    let configuration: WebSocketConfiguration
    let target: Int
    let maxPending: Int
    private var started = 0
    private var pending = 0
    private var pumping = false
    private let onOpen: (WebSocketSession) -> Void
    private let onFailure: (WebSocketClientError) -> Void

    init(loop: EventLoop, options: BenchOptions, configuration: WebSocketConfiguration, target: Int, maxPending: Int,
         onOpen: @escaping (WebSocketSession) -> Void, onFailure: @escaping (WebSocketClientError) -> Void) {
        self.loop = loop
        self.options = options
        self.configuration = configuration
        self.target = target
        self.maxPending = max(1, maxPending)
        self.onOpen = onOpen
        self.onFailure = onFailure
    }

    func pump() {
        // A connect that fails at once completes inside `connect`: the outer loop carries on instead of recursing.
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        while pending < maxPending && started < target {
            started += 1
            pending += 1
            WebSocketClient.connect(host: options.host, port: options.port, path: options.path, configuration: configuration,
                                    on: loop) { [self] result in
                pending -= 1
                switch result {
                case .success(let session): onOpen(session)
                case .failure(let error): onFailure(error)
                }
                pump()
            }
        }
    }

    /// What the bench offers. With --deflate: the library defaults (client_max_window_bits=12, context takeover kept
    /// on the client side, server_no_context_takeover requested — what a browser gets from the gateway), except our own
    /// compressor's level and memLevel, which the server never sees: level 1 keeps the bench cheaper per message than
    /// the server it measures (level 6 made compressing a 4 KB message cost the bench more than the server's echo),
    /// and ws-idle uses memLevel 1 so that 10,000 client-side compressors stay small.
    static func configuration(deflate: Bool, clientLevel: Int32 = 1, clientMemLevel: Int32 = 8) -> WebSocketConfiguration {
        guard deflate else { return WebSocketConfiguration(maxMessageBytes: 64 * 1024 * 1024) }
        var compression = PerMessageDeflateConfiguration()
        compression.level = clientLevel
        compression.memLevel = clientMemLevel
        return WebSocketConfiguration(maxMessageBytes: 64 * 1024 * 1024, compression: compression)
    }
}

/// Splits `total` over `parts` as evenly as possible.
func share(_ total: Int, part: Int, of parts: Int) -> Int {
    total / parts + (part < total % parts ? 1 : 0)
}
