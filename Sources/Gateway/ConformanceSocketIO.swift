import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import HTTP
import SocketIO

/// The fixture the official Socket.IO test suite (`socket.io-protocol/test-suite`) runs against: with
/// `GATEWAY_CONFORMANCE=1`, Socket.IO on `/socket.io/` with namespaces `/` and `/custom`; on connect each socket gets
/// `auth` with its CONNECT payload, `message` is answered with `message-back` (same arguments) and any acknowledged event
/// with its arguments; pingInterval 300, pingTimeout 200, connectTimeout 1000. Off otherwise; not for production.
enum ConformanceSocketIO {
    /// Both servers: the Engine.IO server's routes hold it only weakly, so the gateway keeps it alive here.
    struct Fixture {
        let socketIO: SocketIOServer
        let engineIO: EngineIOServer
        /// The official clients' fixture, beside the suite's (`InteropFixture`).
        let interop: InteropFixture.Servers
    }

    static func install(on http: HTTPServer) -> Fixture? {
        guard ConformanceEngineIO.isEnabled else { return nil }
        let engine = EngineIOServer(http: http, configuration: EngineIOConfiguration(
            path: "/socket.io/", pingIntervalMs: 300, pingTimeoutMs: 200, maxPayload: 1_000_000))
        var options = SocketIOServerOptions()
        options.connectTimeoutMs = 1000
        let server = SocketIOServer(options: options)
        for namespace in [server.of("/"), server.of("/custom")] {
            namespace.onConnection { socket in
                _ = socket.emit("auth", .object(socket.handshake.auth))
                socket.onAny { event, arguments, ack in
                    if let ack {
                        ack.send(arguments)
                    } else if event == "message" {
                        _ = socket.emit("message-back", arguments: arguments)
                    }
                }
            }
        }
        server.attach(to: engine)
        Log.info("socketio_conformance_enabled", ["path": "/socket.io/", "namespaces": "/,/custom"])
        return Fixture(socketIO: server, engineIO: engine, interop: InteropFixture.install(on: http))
    }
}
