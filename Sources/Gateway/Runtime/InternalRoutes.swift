import GatewayProtocol

/// The gateway's own routes, declared like a module's so that they get the same access checks.
enum InternalRoutes {
    static func routes(users: UsersTable, metrics: MetricsRegistry, scheduler: Scheduler) -> [ModuleDeclarations.Route] {
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
            .init(method: "GET", path: "/admin/jobs", access: .admin) { _ in
                let jobs: [JobStatus]
                do { jobs = try await scheduler.list() } catch let error as SchedulerError { throw ModuleError(error.description, status: 500) }
                return try RouteResponse.json(JSONValue.array(jobs.map(\.json)))
            },
            .init(method: "POST", path: "/admin/jobs/:name/run", access: .admin) { request in
                let name = request.parameters["name"] ?? ""
                let run: JobRun
                do {
                    run = try await scheduler.trigger(name)
                } catch let error as SchedulerError {
                    if case .unknownJob = error { throw ModuleError.notFound(error.description) }
                    throw ModuleError(error.description, status: 409, code: "conflict")
                }
                return try RouteResponse.json(["job": JSONValue.string(name), "startedAtMs": .int(Int(run.startedAtMs))] as JSONObject,
                                              status: 202)
            },
            .init(method: "GET", path: "/metrics", access: .adminOrService) { _ in
                RouteResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                              body: Array(metrics.render().utf8))
            },
        ]
    }
}

extension JobStatus {
    var json: JSONValue {
        var object: JSONObject = ["job": .string(job.description), "schedule": .string(schedule), "timeZone": .string(timeZone),
                                  "running": .bool(running), "nextRunMs": nextRunMs.map { .int(Int($0)) } ?? .null]
        if let last = lastRun {
            object["lastRun"] = .object(["scheduledAtMs": .int(Int(last.scheduledAtMs)), "startedAtMs": .int(Int(last.startedAtMs)),
                                         "endedAtMs": last.endedAtMs.map { .int(Int($0)) } ?? .null,
                                         "outcome": .string(last.outcome), "manual": .bool(last.manual),
                                         "counts": last.counts.flatMap { try? JSONValue.parse(bytes: Array($0.utf8)) } ?? .null,
                                         "error": last.error.map { .string($0) } ?? .null])
        } else {
            object["lastRun"] = .null
        }
        return .object(object)
    }
}
