import GatewayProtocol

/// Routes for FitMate's main backend (service role): create a notification, and report workouts and goals, which
/// are recorded for the weekly report and goal checks and announced to the user from the configured templates.
enum InternalEventRoutes {
    static func install(on setup: any ModuleSetup, center: NotificationCenter, settings: NotificationsSettings) {
        setup.route("POST", "/internal/notifications", access: .service) { request in
            let fields = try PayloadFields(try request.json())
            let created = try await center.create(NotificationRequest(
                userId: try fields.string("userId", maxBytes: NotificationCenter.maxUserIdBytes),
                title: try fields.string("title", maxBytes: settings.maxTitleBytes),
                message: try fields.string("message", maxBytes: settings.maxMessageBytes),
                type: try fields.string("type", maxBytes: 64),
                data: fields.object["data"].flatMap { $0.isNull ? nil : $0 },
                priority: try fields.optionalString("priority", maxBytes: 16),
                expiresAtMs: try fields.optionalTime("expiresAt")))
            return try .json(answer(created), status: 201)
        }

        setup.route("POST", "/internal/events/workout-completed", access: .service) { request in
            let fields = try PayloadFields(try request.json())
            let userId = try fields.string("userId", maxBytes: NotificationCenter.maxUserIdBytes)
            let exercise = try fields.string("exerciseName", maxBytes: 200)
            let duration = try fields.amount("duration")
            let calories = try fields.amount("calories")
            let at = try fields.time("at")
            let text = try await center.render("workout_completed", for: userId, parameters: [
                "exerciseName": exercise, "duration": format(duration), "calories": format(calories)])
            let data: JSONValue = ["exerciseName": .string(exercise), "duration": number(duration), "calories": number(calories),
                                   "at": .string(Timestamps.iso8601(ms: at))]
            let recordedAt = center.context.clock.nowMs()
            let created = try await center.create(
                NotificationRequest(userId: userId, title: text.title, message: text.message, type: "workout_completed", data: data),
                alongside: { tx, notificationId in
                    try tx.execute(
                        """
                        INSERT INTO notifications_workouts (user_id, exercise_name, duration_minutes, calories, performed_at,
                            recorded_at, notification_id) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, [.text(userId), .text(exercise), .real(duration), .real(calories), .integer(at), .integer(recordedAt),
                              .integer(notificationId)])
                })
            return try .json(answer(created), status: 201)
        }

        setup.route("POST", "/internal/events/goal-achieved", access: .service) { request in
            let fields = try PayloadFields(try request.json())
            let userId = try fields.string("userId", maxBytes: NotificationCenter.maxUserIdBytes)
            let goal = try fields.string("goalName", maxBytes: 200)
            let achievedAt = try fields.optionalTime("at") ?? center.context.clock.nowMs()
            // Everything the backend sent about the goal (target, period…) travels with the notification.
            var details = fields.object
            _ = details.removeValue(forKey: "userId")
            let data = JSONValue.object(details)
            let text = try await center.render("goal_achieved", for: userId, parameters: ["goalName": goal])
            let recordedAt = center.context.clock.nowMs()
            let created = try await center.create(
                NotificationRequest(userId: userId, title: text.title, message: text.message, type: "goal_achieved", data: data),
                alongside: { tx, notificationId in
                    try tx.execute(
                        """
                        INSERT INTO notifications_goals (user_id, goal_name, data, achieved_at, recorded_at, notification_id)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, [.text(userId), .text(goal), .text(data.serializedText), .integer(achievedAt), .integer(recordedAt),
                              .integer(notificationId)])
                })
            return try .json(answer(created), status: 201)
        }
    }

    private static func answer(_ created: NotificationCenter.Created) -> JSONObject {
        ["id": .string(String(created.record.id)), "deliveredRealtime": .bool(created.deliveredRealtime),
         "notification": created.record.json]
    }

    /// `30` rather than `30.0` in the texts.
    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func number(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }
}
