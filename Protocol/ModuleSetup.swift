// Declaring a module (contract 0.3; `onSync` 0.5): everything is registered on `ModuleSetup` inside `init(setup:)`.

/// What a module declares while it is built. Registrations after `init(setup:)` returned are refused (a programming error,
/// reported at start-up), so the gateway knows every event, route and job before it listens.
public protocol ModuleSetup: AnyObject {
    /// The module's own configuration section (`modules.<name>` in the file), without `enabled`.
    var configuration: JSONObject { get }
    /// The runtime. Usable from handlers; other modules' services are there from `start` on.
    var context: any ModuleContext { get }

    /// The module's schema steps (see `Migration`). Called at most once.
    func migrations(_ migrations: [Migration])
    /// Handles `event` on `namespace`. Events from one socket reach its handlers one at a time, in arrival order.
    func on(_ event: String, namespace: String, _ handler: @escaping EventHandler)
    /// Handles `event` with a handler that never suspends: same ordering and error rules as `on`, without the cost of a
    /// task per event (0.5; a setup that predates it registers the handler through `on`).
    func onSync(_ event: String, namespace: String, _ handler: @escaping SyncEventHandler)
    /// After a socket passed authentication and joined `namespace`.
    func onConnect(namespace: String, _ handler: @escaping ConnectHandler)
    /// After a socket left `namespace`, with the official reason (`"transport close"`, `"client namespace disconnect"`…).
    func onDisconnect(namespace: String, _ handler: @escaping DisconnectHandler)
    /// A REST route. `path` segments starting with `:` are parameters (`/chat/rooms/:id/messages`).
    func route(_ method: String, _ path: String, access: RouteAccess, _ handler: @escaping RouteHandler)
    func job(_ spec: JobSpec)
    /// Offers `service` to other modules under `key`.
    func provide<Service: Sendable>(_ key: ServiceKey<Service>, _ service: Service)
}

extension ModuleSetup {
    public func onSync(_ event: String, namespace: String, _ handler: @escaping SyncEventHandler) {
        on(event, namespace: namespace) { try handler($0) }
    }

    public func on(_ event: String, _ handler: @escaping EventHandler) { on(event, namespace: "/", handler) }
    public func onSync(_ event: String, _ handler: @escaping SyncEventHandler) { onSync(event, namespace: "/", handler) }
    public func onConnect(_ handler: @escaping ConnectHandler) { onConnect(namespace: "/", handler) }
    public func onDisconnect(_ handler: @escaping DisconnectHandler) { onDisconnect(namespace: "/", handler) }

    /// A handler with a typed payload: the event's first argument decoded as `Payload`. A payload that does not decode is
    /// answered like a thrown `ModuleError` whose message names the field; the handler is not called. The result, when
    /// not nil, is the acknowledgement's single argument.
    public func on<Payload: Decodable & Sendable>(
        _ event: String, as payload: Payload.Type, namespace: String = "/",
        _ handler: @escaping @Sendable (EventContext, Payload) async throws -> (any Encodable & Sendable)?
    ) {
        on(event, namespace: namespace) { event in
            guard let result = try await handler(event, try decodePayload(Payload.self, event)) else { return [] }
            return [try JSONValueEncoder().encode(result)]
        }
    }

    /// `on(_:as:)` for a handler that never suspends (0.5).
    public func onSync<Payload: Decodable & Sendable>(
        _ event: String, as payload: Payload.Type, namespace: String = "/",
        _ handler: @escaping @Sendable (EventContext, Payload) throws -> (any Encodable & Sendable)?
    ) {
        onSync(event, namespace: namespace) { event in
            guard let result = try handler(event, try decodePayload(Payload.self, event)) else { return [] }
            return [try JSONValueEncoder().encode(result)]
        }
    }
}

private func decodePayload<Payload: Decodable>(_ type: Payload.Type, _ event: EventContext) throws(ModuleError) -> Payload {
    do throws(PayloadError) { return try JSONValueDecoder().decode(Payload.self, from: event.arguments.first ?? .null) } catch {
        throw ModuleError(error.message, status: 400, code: "invalid_payload")
    }
}

/// Names a service offered by one module to others. Both sides use the same key, declared in `Protocol/` when several
/// modules share it (see `WellKnownServices.swift`), so neither imports the other.
public struct ServiceKey<Service>: Sendable, Hashable {
    public let name: String
    public init(_ name: String) { self.name = name }
}
