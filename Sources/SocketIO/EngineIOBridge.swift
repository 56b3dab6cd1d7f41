import EngineIO
import EventLoop

extension SocketIOServer {
    /// Serves Socket.IO over `engine`: every Engine.IO session becomes a Socket.IO client connection. The session is the
    /// client's connection and the client its delegate: no adapter object between them (one fewer per idle connection).
    public func attach(to engine: EngineIOServer) {
        engine.onConnection = { [self] socket in
            socket.delegate = handleNewConnection(socket) as? SocketIOClient
        }
    }
}

/// An Engine.IO session as the Socket.IO layer's transport boundary. Lives on the session's loop; retained by the Engine.IO
/// server's session table and by the Socket.IO client that uses it (the session holds the client only weakly).
extension EngineIOSocket: EngineConnection {
    public var engineHandshake: EngineHandshake {
        EngineHandshake(headers: handshake.headers, remoteAddress: handshake.remoteAddress, isSecure: handshake.isSecure,
                        url: handshake.url, issuedMs: handshake.issuedMs)
    }

    public func send(_ message: EngineMessage) { send(message.engineIO) }

    /// The packet and its Engine.IO/WebSocket frame were made once for every recipient: this writes the same bytes.
    public func send(prepared: SharedEngineMessage) { send(prepared.prepared) }
}

extension SocketIOClient: EngineIOSocketDelegate {
    func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) {
        switch message {
        case .text(let bytes): receive(.text(bytes))
        case .binary(let bytes): receive(.binary(bytes))
        }
    }

    func engineSocketDidClose(_ socket: EngineIOSocket, reason: String) { closed(reason: reason) }
}
