import EventLoop
import HTTP
import WebSocket

/// The plain WebSocket echo endpoint, for the Autobahn fuzzing client (`websocket.echoPath`, env `GATEWAY_WS_ECHO_PATH`;
/// off by default). Echoes text and binary messages unchanged; negotiates permessage-deflate when `websocket.compression`.
/// It knows nothing of Engine.IO and is not meant for production traffic.
enum WebSocketEcho {
    /// Registers the endpoint and hooks it into `http` (before `listen`). nil when no echo path is configured.
    static func install(on http: HTTPServer, group: EventLoopGroup, settings: GatewayConfiguration.WebSocketSettings) -> WebSocketServer? {
        guard let path = settings.echoPath else { return nil }
        let server = WebSocketServer(group: group)
        let configuration = WebSocketConfiguration(maxMessageBytes: settings.echoMaxMessageBytes,
                                                   compression: settings.compression ? PerMessageDeflateConfiguration() : nil)
        server.register(path: path, configuration: configuration,
                        options: WebSocketSessionOptions(closeTimeoutMs: UInt64(settings.closeTimeoutMs))) { session in
            // Backpressure: while the echoes back up, the session stops reading from the peer.
            session.onTextBytes = { session.sendText(utf8: $0) }
            session.onBinary = { session.sendBinary($0) }
        }
        server.install(on: http)
        Log.info("websocket_echo_enabled", ["path": path, "max_message_bytes": settings.echoMaxMessageBytes,
                                            "compression": settings.compression])
        return server
    }
}
