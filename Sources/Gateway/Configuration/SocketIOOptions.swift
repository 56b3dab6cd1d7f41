extension GatewayConfiguration {
    /// The production Socket.IO endpoint; defaults are the official server's.
    public struct SocketIOSettings: Sendable, Equatable {
        public var path = "/socket.io/"
        public var pingIntervalMs = 25_000
        public var pingTimeoutMs = 20_000
        public var maxHttpBufferSize = 1_000_000
        public var connectTimeoutMs = 45_000
        public var perMessageDeflate = false
        public var httpCompression = true
        public var stateRecovery = false
        public var recoveryWindowMs = 120_000
        public var maxPendingEvents = 64
        public var announcePresence = true
        public init() {}
    }
}

extension GatewayOptions {
    static let socketIOOptions: [OptionSpec] = [
        OptionSpec("socketio.path", env: "GATEWAY_SOCKETIO_PATH", kind: .string, default: .string("/socket.io/"),
                   help: "Path of the Socket.IO endpoint (the official clients' default).", validate: validateSocketIOPath) {
            $0.configuration.socketio.path = $1.string
        },
        OptionSpec("socketio.pingIntervalMs", kind: .durationMs(1...maxDurationMs), default: .int(25_000),
                   help: "Engine.IO heartbeat interval.") { $0.configuration.socketio.pingIntervalMs = $1.int },
        OptionSpec("socketio.pingTimeoutMs", kind: .durationMs(1...maxDurationMs), default: .int(20_000),
                   help: "A client that does not answer a ping within this time is disconnected.") {
            $0.configuration.socketio.pingTimeoutMs = $1.int
        },
        OptionSpec("socketio.maxHttpBufferSize", kind: .int(1...Int.max), default: .int(1_000_000),
                   help: "Largest Engine.IO message or polling body accepted (maxPayload).") {
            $0.configuration.socketio.maxHttpBufferSize = $1.int
        },
        OptionSpec("socketio.connectTimeoutMs", kind: .durationMs(1...maxDurationMs), default: .int(45_000),
                   help: "A client that joins no namespace within this time is closed.") {
            $0.configuration.socketio.connectTimeoutMs = $1.int
        },
        OptionSpec("socketio.perMessageDeflate", kind: .bool, default: .bool(false),
                   help: "Compress WebSocket messages (permessage-deflate); off as in the official server.") {
            $0.configuration.socketio.perMessageDeflate = $1.bool
        },
        OptionSpec("socketio.httpCompression", kind: .bool, default: .bool(true),
                   help: "gzip/deflate polling responses above http.compressionThresholdBytes.") {
            $0.configuration.socketio.httpCompression = $1.bool
        },
        OptionSpec("socketio.stateRecovery", env: "GATEWAY_SOCKETIO_STATE_RECOVERY", kind: .bool, default: .bool(false),
                   help: "Connection state recovery: a client reconnecting within the window gets missed packets and keeps its rooms.") {
            $0.configuration.socketio.stateRecovery = $1.bool
        },
        OptionSpec("socketio.recoveryWindowMs", kind: .durationMs(1...maxDurationMs), default: .int(120_000),
                   help: "How long a disconnected session can be recovered.") {
            $0.configuration.socketio.recoveryWindowMs = $1.int
        },
        OptionSpec("socketio.maxPendingEvents", kind: .int(1...100_000), default: .int(64),
                   help: "Events of one socket waiting for its handlers; more are answered with an `overloaded` error.") {
            $0.configuration.socketio.maxPendingEvents = $1.int
        },
        OptionSpec("socketio.announcePresence", kind: .bool, default: .bool(true),
                   help: "Emit userOnline/userOffline to every socket (FitMate's client expects it; each costs one delivery per connected socket).") {
            $0.configuration.socketio.announcePresence = $1.bool
        },
    ]

    static let validateSocketIOPath: @Sendable (OptionValue) -> ParseFailure? = { value in
        let path = value.string
        guard path.hasPrefix("/"), path.hasSuffix("/"), path.count > 1, !path.contains("?"), !path.contains(" ") else {
            return ParseFailure(message: "must start and end with /, like /socket.io/, got \(path.debugDescription)")
        }
        return nil
    }
}
