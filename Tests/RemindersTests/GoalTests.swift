import Gateway
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// Goals set by the main backend, checked against recorded workouts: one `goal_achieved` per goal and period, ever.
final class GoalTests: XCTestCase {
    typealias H = RemindersHarness
    var harness: RemindersHarness!

    override func tearDown() { harness?.stop() }

    /// Goal checks by hand only here (the hourly schedule moved to 1 January), so each check is one the test asked for.
    func start(_ config: [String: ConfigValue] = [:]) throws {
        var reminders = config
        reminders["goalCheck"] = .object(["schedule": .string("0 0 1 1 *")].merging(config["goalCheck"]?.objectValue ?? [:]) { $1 })
        harness = try RemindersHarness(startMs: H.utc(2026, 11, 4, 3), reminders: reminders)   // Wednesday 12:00 in Seoul
    }

    func putGoals(_ user: String, _ body: String) throws -> TestHTTPResponse {
        try harness.gateway.request("PUT", "/internal/users/\(user)/goals", token: H.serviceToken, body: body)
    }

    func testAReachedGoalIsNotifiedOncePerPeriod() throws {
        try start()
        try harness.putUser("alice", #"{"timeZone":"Asia/Seoul"}"#)
        XCTAssertEqual(try putGoals("alice", """
            {"goals":[{"id":"w3","name":"주 3회 운동","metric":"workouts","period":"week","target":3},
                      {"id":"cal","name":"1000 kcal","metric":"calories","period":"week","target":1000},
                      {"id":"d30","name":"하루 30분","metric":"minutes","period":"day","target":30}]}
            """).status, 200)
        try harness.workout("alice", atMs: H.utc(2026, 11, 1, 14), minutes: 60, calories: 900)   // Sunday: last week
        try harness.workout("alice", atMs: H.utc(2026, 11, 2, 3), minutes: 20, calories: 150)    // Monday
        try harness.workout("alice", atMs: H.utc(2026, 11, 3, 3), minutes: 25, calories: 200)    // Tuesday

        XCTAssertEqual(try harness.trigger("goal-check").count("notified"), 0)

        try harness.workout("alice", atMs: H.utc(2026, 11, 4, 2), minutes: 35, calories: 100)    // today, 11:00
        let reached = try harness.trigger("goal-check")
        XCTAssertEqual(reached.count("notified"), 2)
        let sent = harness.notifications("goal_achieved").map(\.request)
        XCTAssertEqual(sent.map { $0.data?["goalId"]?.stringValue }, ["d30", "w3"])
        XCTAssertEqual(sent.first { $0.data?["goalId"] == "w3" }?.message, "주 3회 운동 목표를 달성했습니다! 축하드려요!")
        XCTAssertEqual(sent.first { $0.data?["goalId"] == "w3" }?.data?["achieved"], 3)
        XCTAssertEqual(sent.first { $0.data?["goalId"] == "w3" }?.data?["periodStart"], "2026-11-02")

        // Checked again: nothing new.
        XCTAssertEqual(try harness.trigger("goal-check").count("alreadySent"), 2)
        // Thursday: the daily goal starts over and is notified again once reached; the weekly one is not repeated.
        harness.advance(toMs: H.utc(2026, 11, 5, 3))
        XCTAssertEqual(try harness.trigger("goal-check").count("notified"), 0)
        try harness.workout("alice", atMs: H.utc(2026, 11, 5, 2), minutes: 30, calories: 100)
        XCTAssertEqual(try harness.trigger("goal-check").count("notified"), 1)
        let all = harness.notifications("goal_achieved").map(\.request)
        XCTAssertEqual(all.map { "\($0.data!["goalId"]!.stringValue!)@\($0.data!["periodStart"]!.stringValue!)" },
                       ["d30@2026-11-04", "w3@2026-11-02", "d30@2026-11-05"])
    }

    func testGoalsRouteValidatesAndOnlyTheBackendMaySetGoals() throws {
        try start(["goalCheck": .object(["maxGoalsPerUser": .int(2)])])
        let two = #"{"goals":[{"id":"a","metric":"workouts","period":"week","target":3},{"id":"b","metric":"calories","period":"day","target":500.5}]}"#
        XCTAssertEqual(try putGoals("u1", two).status, 200)
        let read = try harness.gateway.request("GET", "/internal/users/u1/goals", token: H.adminToken)
        XCTAssertEqual(read.bodyText, #"{"userId":"u1","goals":[{"id":"a","name":"a","metric":"workouts","period":"week","target":3},{"id":"b","name":"b","metric":"calories","period":"day","target":500.5}]}"#)

        let three = #"{"goals":[{"id":"a","metric":"workouts","period":"week","target":3},{"id":"b","metric":"workouts","period":"week","target":3},{"id":"c","metric":"workouts","period":"week","target":3}]}"#
        let tooMany = try putGoals("u1", three)
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertTrue(tooMany.bodyText.contains("goals: at most 2 goals per user, got 3"), tooMany.bodyText)
        let cases: [(String, String)] = [
            (#"{"goals":[{"id":"a","metric":"steps","period":"week","target":3}]}"#, "goals[0].metric: expected one of workouts, workoutDays, calories, minutes"),
            (#"{"goals":[{"id":"a","metric":"workouts","period":"month","target":3}]}"#, "goals[0].period: expected one of day, week"),
            (#"{"goals":[{"id":"a","metric":"workouts","period":"week","target":0}]}"#, "goals[0].target: must be a positive number"),
            (#"{"goals":[{"id":"a","metric":"workouts","period":"week","target":1},{"id":"a","metric":"calories","period":"week","target":1}]}"#,
             #"goals[1].id: \"a\" appears twice"#),
            (#"{"goals":[{"id":"","metric":"workouts","period":"week","target":1}]}"#, "goals[0].id: must be 1 to 64 bytes"),
            (#"{"goal":[]}"#, "goals"),
        ]
        for (body, message) in cases {
            let answer = try putGoals("u1", body)
            XCTAssertEqual(answer.status, 400, body)
            XCTAssertTrue(answer.bodyText.contains(message), "\(answer.bodyText) should say \(message)")
        }
        // Still the two from before; an empty list clears them.
        XCTAssertTrue(try harness.gateway.request("GET", "/internal/users/u1/goals", token: H.serviceToken).bodyText.contains(#""id":"b""#))
        XCTAssertEqual(try putGoals("u1", #"{"goals":[]}"#).bodyText, #"{"userId":"u1","goals":[]}"#)

        let user = ModuleTestGateway.token(sub: "u1")
        XCTAssertEqual(try harness.gateway.request("PUT", "/internal/users/u1/goals", token: user, body: two).status, 403)
        XCTAssertEqual(try harness.gateway.request("GET", "/internal/users/u1/goals", token: user).status, 403)
        XCTAssertEqual(try harness.gateway.request("PUT", "/internal/users/u1/goals", body: two).status, 401)
    }
}
