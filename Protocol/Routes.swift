// REST routes (contract 0.3). Each route declares who may call it; the gateway checks the bearer token before the handler
// runs, so a handler never sees a caller it did not allow.

public enum RouteAccess: Sendable, Equatable {
    /// Anyone (rate limits are the module's business).
    case `public`
    /// Any valid token.
    case authenticated
    /// A token with the configured admin role (`auth.adminRole`).
    case admin
    /// A token with the configured service role (`auth.serviceRole`): FitMate's main backend.
    case service
    case adminOrService
}

public typealias RouteHandler = @Sendable (RouteRequest) async throws -> RouteResponse

public struct RouteRequest: Sendable {
    public let method: String
    /// The path without the query (`/chat/rooms/42/messages`).
    public let path: String
    /// The `:name` segments of the route pattern, percent-decoded.
    public let parameters: [String: String]
    /// The query string's fields, percent-decoded (the last value of a repeated name).
    public let query: [String: String]
    /// The raw query string after `?` (no `?`), for signatures computed over the URL as sent.
    public let rawQuery: String
    public let headers: [(String, String)]
    public let body: [UInt8]
    /// The verified caller; nil only on `.public` routes called without a token.
    public let caller: Identity?
    public let remoteAddress: String
    /// `https` or `http`, as the client reached the gateway.
    public let scheme: String

    public init(method: String, path: String, parameters: [String: String], query: [String: String], rawQuery: String,
                headers: [(String, String)], body: [UInt8], caller: Identity?, remoteAddress: String, scheme: String) {
        self.method = method
        self.path = path
        self.parameters = parameters
        self.query = query
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.caller = caller
        self.remoteAddress = remoteAddress
        self.scheme = scheme
    }

    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0.lowercased() == lowered }?.1
    }

    /// The body as JSON; a clear 400 when it is not.
    public func json() throws(ModuleError) -> JSONValue {
        do { return try JSONValue.parse(bytes: body) } catch {
            throw ModuleError("body: invalid JSON (\(error))", status: 400, code: "invalid_json")
        }
    }

    /// The body decoded as `T`; a 400 naming the field when it does not fit.
    public func decode<T: Decodable>(_ type: T.Type) throws(ModuleError) -> T {
        let value = try json()
        do { return try JSONValueDecoder().decode(type, from: value) } catch {
            throw ModuleError(error.message, status: 400, code: "invalid_payload")
        }
    }

    /// The caller, who must exist on this route (`.authenticated` and stricter always have one).
    public var identity: Identity {
        guard let caller else { preconditionFailure("RouteRequest.identity on a public route without a token") }
        return caller
    }
}

public struct RouteResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `value` as JSON with `Content-Type: application/json`.
    public static func json(_ value: some Encodable & Sendable, status: Int = 200) throws -> RouteResponse {
        var bytes: [UInt8] = []
        try JSONValueEncoder().encode(value).serialize(into: &bytes)
        return RouteResponse(status: status, headers: [("Content-Type", "application/json")], body: bytes)
    }

    public static func noContent() -> RouteResponse { RouteResponse(status: 204) }
}
