import GatewayProtocol

/// Issue 10's Reminders: the daily workout reminder, the weekly report, goal checks and the midnight clean-up, as jobs
/// on the gateway's scheduler, computed from the users directory and the workouts the Notifications module records.
/// Notifications and SMS go through `WellKnownServices`; without the notifications service the jobs send nothing.
public struct RemindersModule: GatewayModule {
    public static let name = "reminders"
    public static let contractVersion = ContractVersion.current

    public init(setup: any ModuleSetup) throws {
        let settings = try RemindersSettings(setup.configuration)
        let archiveSection = try ConfigurationReader(setup.configuration).section("chatArchive")
        let chat = try ChatSource.read(archiveSection)
        let pageSize = try archiveSection.int("pageSize", default: 50, in: 1...1000)
        let maxPageSize = try archiveSection.int("maxPageSize", default: 200, in: pageSize...1000)
        let environment = JobEnvironment(context: setup.context, settings: settings)
        let context = setup.context

        setup.migrations(RemindersSchema.migrations)

        let daily = DailyReminderJob(environment: environment)
        setup.job(JobSpec(name: "daily-reminder", schedule: settings.daily.schedule, timeZone: "UTC", runMissedOnStart: true,
                          run: daily.run))
        let weekly = WeeklyReportJob(environment: environment)
        setup.job(JobSpec(name: "weekly-report", schedule: settings.weekly.schedule, timeZone: "UTC", runMissedOnStart: true,
                          run: weekly.run))
        let goals = GoalCheckJob(environment: environment)
        setup.job(JobSpec(name: "goal-check", schedule: settings.goalSchedule, timeZone: "UTC", runMissedOnStart: true,
                          run: goals.run))
        let cleanup = CleanupJob(environment: environment, chat: chat)
        setup.job(JobSpec(name: "cleanup", schedule: settings.cleanup.schedule, timeZone: settings.cleanup.timeZone,
                          runMissedOnStart: true, run: cleanup.run))

        let store = GoalsStore(database: context.database)
        setup.route("PUT", "/internal/users/:id/goals", access: .service) { request in
            let userId = try Self.userId(request)
            let goals = try request.decode(GoalsUpdate.self).validated(maxGoals: settings.maxGoalsPerUser)
            try await store.replace(goals, of: userId, nowMs: context.clock.nowMs())
            return try RouteResponse.json(GoalsAnswer(userId: userId, goals: goals))
        }
        setup.route("GET", "/internal/users/:id/goals", access: .adminOrService) { request in
            let userId = try Self.userId(request)
            return try RouteResponse.json(GoalsAnswer(userId: userId, goals: try await store.goals(of: userId)))
        }

        let archive = ChatArchive(database: context.database, source: chat)
        setup.route("GET", "/admin/chat-archive", access: .admin) { request in
            let page = try Self.positiveInt(request, "page", default: 1, max: 1_000_000)
            let limit = try Self.positiveInt(request, "limit", default: pageSize, max: maxPageSize)
            let roomId = request.query["roomId"].flatMap { $0.isEmpty ? nil : $0 }
            return try RouteResponse.json(try await archive.page(roomId: roomId, page: page, limit: limit))
        }
    }

    struct GoalsAnswer: Encodable, Sendable {
        let userId: String
        let goals: [Goal]
    }

    static func userId(_ request: RouteRequest) throws(ModuleError) -> String {
        guard let id = request.parameters["id"], (1...128).contains(id.utf8.count) else {
            throw ModuleError.badRequest("id: must be 1 to 128 bytes")
        }
        return id
    }

    static func positiveInt(_ request: RouteRequest, _ name: String, default fallback: Int, max: Int) throws(ModuleError) -> Int {
        guard let text = request.query[name] else { return fallback }
        guard let value = Int(text), (1...max).contains(value) else {
            throw ModuleError("\(name): must be an integer from 1 to \(max)", status: 400, code: "invalid_payload")
        }
        return value
    }
}
