import EngineIO
import EventLoop
import Glibc

extension SocketIOServer {
    /// Serves Socket.IO over `engine`: every Engine.IO session becomes a Socket.IO client connection.
    public func attach(to engine: EngineIOServer) {
        engine.onConnection = { [self] socket in
            let connection = EngineIOConnection(socket)
            connection.handler = handleNewConnection(connection)
            socket.delegate = connection
        }
    }
}

/// One Engine.IO session seen through the Socket.IO layer's transport boundary. Lives on the session's loop; retained by
/// the Socket.IO client that uses it (the session holds it only weakly, as its delegate).
final class EngineIOConnection: EngineConnection, EngineIOSocketDelegate {
    let socket: EngineIOSocket
    let handshake: EngineHandshake
    weak var handler: EngineConnectionHandler?

    init(_ socket: EngineIOSocket) {
        self.socket = socket
        let origin = socket.handshake
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        handshake = EngineHandshake(headers: origin.headers, remoteAddress: origin.remoteAddress, isSecure: origin.isSecure,
                                    url: origin.url,
                                    issuedMs: UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000)
    }

    var id: String { socket.id }
    var loop: EventLoop { socket.loop }
    var isWritable: Bool { socket.isWritable }

    func send(_ message: EngineMessage) { socket.send(message.engineIO) }

    func sendText(writing body: (inout [UInt8]) -> Void) { socket.sendText(writing: body) }

    /// The packet and its Engine.IO/WebSocket frame were made once for every recipient: this writes the same bytes.
    func send(prepared: SharedEngineMessage) { socket.send(prepared.prepared) }

    func close() { socket.close() }

    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) {
        switch message {
        case .text(let bytes): handler?.receive(.text(bytes))
        case .binary(let bytes): handler?.receive(.binary(bytes))
        }
    }

    func engineSocketDidClose(_ socket: EngineIOSocket, reason: String) { handler?.closed(reason: reason) }
}
