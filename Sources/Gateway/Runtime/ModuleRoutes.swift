import EventLoop
import GatewayProtocol
import HTTP

/// Puts the modules' REST routes (and the gateway's own internal ones) on the HTTP server. Access is checked before the
/// handler runs: no token or a bad one is 401 with `WWW-Authenticate: Bearer` (RFC 6750), a valid token without the role
/// 403. Handlers run as tasks; the answer hops back to the connection's loop.
struct ModuleRoutes: Sendable {
    let verifier: any TokenVerifying
    let roles: RoleNames
    let metrics: MetricsRegistry

    struct RoleNames: Sendable {
        let admin: String
        let service: String
    }

    func install(_ route: ModuleDeclarations.Route, module: String, on http: HTTPServer) {
        let requests = metrics.counter("fitmate_route_requests_total", help: "REST requests to module routes.",
                                       labels: ["module": module])
        let failures = metrics.counter("fitmate_route_errors_total", help: "Module routes that failed unexpectedly.",
                                       labels: ["module": module])
        let latency = metrics.histogram("fitmate_route_duration_seconds", help: "Module route handling time.",
                                        labels: ["module": module])
        let verifier = self.verifier
        let roles = self.roles
        http.route(route.method, route.path) { context in
            requests.increment()
            let request = context.request
            let remoteAddress = context.remoteAddress
            let parameters = context.parameters
            let scheme = context.isSecure ? "https" : "http"
            let bound = LoopBound(context, loop: context.loop)
            // Off the loop from the start: token verification (up to ~1 ms for ES384) and the handler's own work run on
            // the cooperative pool; only the response hops back.
            Task {
                let started = ContinuousClock.now
                let response: HTTPResponse
                do {
                    let caller = try await Self.authorize(request, access: route.access, verifier: verifier, roles: roles)
                    let query = request.head.query
                    let routeRequest = RouteRequest(
                        method: request.method, path: String(request.path), parameters: parameters,
                        query: HTTPQuery.parse(query), rawQuery: query.map(String.init) ?? "",
                        headers: request.headers.fields.map { ($0.name, $0.value) }, body: request.body, caller: caller,
                        remoteAddress: remoteAddress, scheme: scheme)
                    let answer = try await route.handler(routeRequest)
                    response = HTTPResponse(status: answer.status, headers: HTTPHeaders(answer.headers), body: answer.body)
                } catch let error as RouteRefusal {
                    response = error.response
                } catch let error as ModuleError {
                    response = HTTPResponse.error(error.status, error.message, code: error.code)
                } catch {
                    failures.increment()
                    Log.error("module_route_failed", ["module": module, "route": "\(route.method) \(route.path)",
                                                      "error": "\(error)"])
                    response = HTTPResponse.error(500, "internal error", code: "internal")
                }
                latency.observe((ContinuousClock.now - started).seconds)
                bound.loop.runOrExecute { bound.value.respond(response) }
            }
        }
    }

    struct RouteRefusal: Error {
        let response: HTTPResponse
    }

    /// The caller allowed on this route, or the refusal to send.
    static func authorize(_ request: HTTPRequest, access: RouteAccess, verifier: any TokenVerifying,
                          roles: RoleNames) async throws(RouteRefusal) -> Identity? {
        let token = bearerToken(request)
        if access == .public {
            // A public route serves anyone; a token that happens to be sent and verifies tells the handler who called.
            guard let token else { return nil }
            return try? await verifier.identity(fromToken: token)
        }
        guard let token else { throw RouteRefusal(response: unauthorized(TokenRejection.missing)) }
        let identity: Identity
        do { identity = try await verifier.identity(fromToken: token) } catch {
            throw RouteRefusal(response: unauthorized(error))
        }
        let allowed: Bool = switch access {
        case .public, .authenticated: true
        case .admin: identity.role == roles.admin
        case .service: identity.role == roles.service
        case .adminOrService: identity.role == roles.admin || identity.role == roles.service
        }
        guard allowed else {
            throw RouteRefusal(response: HTTPResponse.error(403, "this route needs the \(describe(access, roles)) role", code: "forbidden"))
        }
        return identity
    }

    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private static func describe(_ access: RouteAccess, _ roles: RoleNames) -> String {
        switch access {
        case .admin: return roles.admin
        case .service: return roles.service
        default: return "\(roles.admin) or \(roles.service)"
        }
    }

    static func unauthorized(_ rejection: TokenRejection) -> HTTPResponse {
        var response = HTTPResponse.error(401, rejection.message, code: rejection.code)
        let error = rejection.code == "missing_token" ? "" : ", error=\"invalid_token\""
        response.headers.set("WWW-Authenticate", "Bearer realm=\"fitmate-gateway\"\(error)")
        return response
    }

}
