import GatewayProtocol

/// The gateway's own routes, declared like a module's so that they get the same access checks.
enum InternalRoutes {
    static func routes(users: UsersTable, metrics: MetricsRegistry) -> [ModuleDeclarations.Route] {
        [
            .init(method: "PUT", path: "/internal/users/:id", access: .service) { request in
                guard let id = request.parameters["id"], !id.isEmpty, id.utf8.count <= 128 else {
                    throw ModuleError.badRequest("id: must be 1 to 128 bytes")
                }
                let update = try request.decode(UsersTable.Update.self)
                return try RouteResponse.json(try await users.apply(update, to: id))
            },
            .init(method: "GET", path: "/internal/users/:id", access: .adminOrService) { request in
                guard let user = try await users.user(request.parameters["id"] ?? "") else {
                    throw ModuleError.notFound("no such user")
                }
                return try RouteResponse.json(user)
            },
            .init(method: "GET", path: "/metrics", access: .adminOrService) { _ in
                RouteResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                              body: Array(metrics.render().utf8))
            },
        ]
    }
}
