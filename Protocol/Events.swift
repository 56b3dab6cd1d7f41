// Socket events (contract 0.3): what a handler is given and what it may answer.

/// Returns the acknowledgement's arguments (sent only when the client asked for one; `[]` acknowledges with none).
public typealias EventHandler = @Sendable (EventContext) async throws -> EventArguments
/// A handler that never suspends (0.5): it computes, emits, joins rooms. Registered with `ModuleSetup.onSync`, it runs on
/// the socket's loop without a task of its own when nothing of the socket is pending, so it must not block.
public typealias SyncEventHandler = @Sendable (EventContext) throws -> EventArguments
public typealias ConnectHandler = @Sendable (SocketInfo) async throws -> Void
public typealias DisconnectHandler = @Sendable (SocketInfo, _ reason: String) async -> Void

/// A connected, authenticated socket as modules see it. Cheap to copy; valid after the socket is gone (emits to it are
/// then dropped).
public struct SocketInfo: Sendable {
    public let id: String
    public let namespace: String
    public let user: Identity
    /// The client's address as the gateway saw it.
    public let remoteAddress: String
    public init(id: String, namespace: String, user: Identity, remoteAddress: String) {
        self.id = id
        self.namespace = namespace
        self.user = user
        self.remoteAddress = remoteAddress
    }
}

/// Who is calling: from the verified token (`sub` and `role` claims by default).
public struct Identity: Sendable, Equatable {
    public let userId: String
    public let role: String
    /// All claims of the token, for module-specific ones (`name`, `email`, `locale`…).
    public let claims: JSONObject
    public let isAdmin: Bool
    public let isService: Bool
    public init(userId: String, role: String, claims: JSONObject = [:], isAdmin: Bool = false, isService: Bool = false) {
        self.userId = userId
        self.role = role
        self.claims = claims
        self.isAdmin = isAdmin
        self.isService = isService
    }
}

/// One incoming event.
public struct EventContext: Sendable {
    public let name: String
    public let socket: SocketInfo
    public let arguments: EventArguments
    /// Whether the client asked for an acknowledgement.
    public let wantsAck: Bool
    public init(name: String, socket: SocketInfo, arguments: EventArguments, wantsAck: Bool) {
        self.name = name
        self.socket = socket
        self.arguments = arguments
        self.wantsAck = wantsAck
    }
    public var user: Identity { socket.user }
}
