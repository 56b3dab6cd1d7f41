import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import HTTP
import SocketIO

/// The fixture the official clients (python-socketio, the browser `socket.io-client`) are tested against by
/// `Tests/Interop/clients/run.sh`: with `GATEWAY_CONFORMANCE=1`, Socket.IO on `/interop/`. It sits beside the official
/// suite's `/socket.io/` because it turns connection state recovery on, which changes the CONNECT reply the suite checks.
///
/// Namespace `/`: `auth` (the CONNECT payload) on connect, plus `recovered` (Bool); any acknowledged event is answered
/// with its arguments (binary ones included); `join` room → ack `rooms`; `to-room` room, args… → `room-message` args…
/// to every socket in the room (the sender included); `binary-back` args… → the same args as `binary-back`.
/// Namespace `/private`: refuses a CONNECT unless `auth.token == "let-me-in"`, with `data` {"reason":…} the client sees.
/// Not for production.
enum InteropFixture {
    static let path = "/interop/"
    static let privateNamespace = "/private"
    static let privateToken = "let-me-in"

    /// Both servers: the Engine.IO server's routes hold it only weakly, so the gateway keeps it alive.
    struct Servers {
        let socketIO: SocketIOServer
        let engineIO: EngineIOServer
    }

    static func install(on http: HTTPServer) -> Servers {
        let engine = EngineIOServer(http: http, configuration: EngineIOConfiguration(
            path: path, pingIntervalMs: 300, pingTimeoutMs: 200, maxPayload: 1_000_000))
        var options = SocketIOServerOptions()
        options.connectTimeoutMs = 1000
        options.connectionStateRecovery = SocketIOStateRecovery(maxDisconnectionDurationMs: 30_000)
        let server = SocketIOServer(options: options)
        server.of("/").onConnection(serve)
        let gated = server.of(privateNamespace)
        gated.use { socket, next in
            guard socket.handshake.auth["token"]?.stringValue == privateToken else {
                let given: JSONValue = socket.handshake.auth["token"] ?? .null
                next(SocketIOConnectError("unauthorized", data: .object(["reason": "bad token", "given": given])))
                return
            }
            next()
        }
        gated.onConnection(serve)
        server.attach(to: engine)
        Log.info("socketio_interop_enabled", ["path": path, "namespaces": "/,\(privateNamespace)"])
        return Servers(socketIO: server, engineIO: engine)
    }

    private static func serve(_ socket: SocketIOSocket) {
        var hello = socket.handshake.auth
        hello["recovered"] = .bool(socket.recovered)
        _ = socket.emit("auth", .object(hello))
        socket.onAny { event, arguments, ack in
            switch event {
            case "join":
                for room in arguments.values.compactMap(\.stringValue) { socket.join(room) }
                ack?.send([.array(socket.rooms.sorted().map { .string($0) })])
            case "to-room":
                guard let room = arguments.values.first?.stringValue else { return }
                var rest = arguments
                rest.values.removeFirst()
                _ = socket.namespace.to(room).emit("room-message", arguments: rest)
                ack?.send([])
            case "binary-back":
                _ = socket.emit("binary-back", arguments: arguments)
                ack?.send([])
            default:
                ack?.send(arguments)
            }
        }
    }
}
