import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// Sending through the routes to the HTTPS fake of Twilio: the documented request, each failure class, retries and
/// their absence, no double send after a timeout, and the in-app fallback.
final class SMSSendingTests: SMSTestCase {
    func testSendReachesTwilioWithTheDocumentedFormAndIsLogged() async throws {
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"오늘도 화이팅 & 100%"}"#)
        XCTAssertEqual(response.status, 200, response.description)
        XCTAssertEqual(json(response)["success"] as? Bool, true)
        XCTAssertEqual(json(response)["message"] as? String, "SMS 전송 성공")
        XCTAssertEqual(json(response)["status"] as? String, "queued")
        XCTAssertEqual(twilio.refusals, [])
        XCTAssertEqual(twilio.posts.count, 1)
        XCTAssertEqual(twilio.posts.first, ["To": "+821012345678", "From": "+15005550006", "Body": "오늘도 화이팅 & 100%",
                                            "StatusCallback": "https://gw.fitmate.test/sms/status-callback"])
        let rows = try await messages()
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["status"].stringValue, "queued")
        XCTAssertEqual(rows[0]["provider_id"].stringValue, twilio.messages.first?.sid)
        XCTAssertEqual(rows[0]["to_number"].stringValue, "+821012345678")
        XCTAssertEqual(rows[0]["template"].stringValue, "custom")
        XCTAssertEqual(rows[0]["attempts"].intValue, 1)
        XCTAssertEqual(json(response)["id"] as? String, rows[0]["id"].int64Value.map(String.init))
    }

    func testWorkoutTemplatesAreTheOldServersKoreanTextsWithEnglishOnRequest() throws {
        XCTAssertEqual(try post("/sms/workout-reminder", #"{"phoneNumber":"+82 10 1234 5678","userName":"민수","workoutType":"요가"}"#).status, 200)
        XCTAssertEqual(try post("/sms/workout-recommendation",
                                #"{"phoneNumber":"821012345678","userName":"민수","exercises":["스쿼트","런지"]}"#).status, 200)
        XCTAssertEqual(try post("/sms/workout-reminder",
                                #"{"phoneNumber":"01012345678","userName":"Min","workoutType":"yoga","locale":"en-US"}"#).status, 200)
        let bodies = twilio.posts.map { $0["Body"] ?? "" }
        XCTAssertEqual(bodies[0], "안녕하세요 민수님! 🏃‍♂️\n\n오늘 요가 운동 시간입니다.\nFitMate와 함께 건강한 하루 시작하세요!\n\n앱에서 확인: https://fitmate.test")
        XCTAssertEqual(bodies[1], "민수님을 위한 오늘의 추천 운동 💪\n\n스쿼트, 런지\n\n지금 시작해보세요!\nFitMate 앱: https://fitmate.test")
        XCTAssertTrue(bodies[2].hasPrefix("Hi Min! 🏃‍♂️\n\nIt's time for today's yoga workout."), bodies[2])
        XCTAssertEqual(Set(twilio.posts.map { $0["To"] ?? "" }), ["+821012345678"])
    }

    func testInvalidNumbersAndOtherCountriesAreRefusedBeforeAnyRequest() throws {
        for number in ["12345", "abc-defg", "010-1234", "+82 2 123 4567", "", "+0 10 1234 5678"] {
            let response = try post("/sms/send", #"{"phoneNumber":"\#(number)","message":"x"}"#)
            XCTAssertEqual(response.status, 400, number)
            XCTAssertEqual(json(response)["code"] as? String, "invalid_phone_number", number)
            XCTAssertTrue((json(response)["message"] as? String ?? "").hasPrefix("phoneNumber:"), response.bodyText)
        }
        let american = try post("/sms/send", #"{"phoneNumber":"+1 415 555 0100","message":"x"}"#)
        XCTAssertEqual(american.status, 400)
        XCTAssertEqual(json(american)["code"] as? String, "country_not_allowed")
        let missing = try post("/sms/send", #"{"phoneNumber":"010-1234-5678"}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(json(missing)["message"] as? String, "message is required")
        let tooLong = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"\#(String(repeating: "a", count: 1601))"}"#)
        XCTAssertEqual(json(tooLong)["code"] as? String, "message_too_long")
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"\#(String(repeating: "a", count: 1600))"}"#).status, 200)
        XCTAssertEqual(twilio.posts.count, 1, "only the valid request reached Twilio")
    }

    func testPermanentErrorIsNotRetriedAndFallsBackToAnInAppNotification() async throws {
        twilio.script(.fail(status: 400, code: 21211, message: "The 'To' number +821099999999 is not a valid phone number."))
        let response = try post("/sms/send", #"{"phoneNumber":"010-9999-9999","message":"운동하러 가요","userId":"u-42"}"#)
        XCTAssertEqual(response.status, 502, response.description)
        XCTAssertEqual(json(response)["success"] as? Bool, false)
        XCTAssertEqual(json(response)["message"] as? String, "SMS 전송 실패")
        XCTAssertEqual(json(response)["errorCode"] as? String, "21211")
        XCTAssertEqual(twilio.posts.count, 1, "a permanent error is never retried")
        let row = try await messages()[0]
        XCTAssertEqual(row["status"].stringValue, "failed")
        XCTAssertEqual(row["error_code"].stringValue, "21211")
        XCTAssertEqual(row["error_message"].stringValue, "The 'To' number +821099999999 is not a valid phone number.")
        let notified = SMSProbeModule.notifications.withLock { $0 }
        XCTAssertEqual(notified.count, 1)
        XCTAssertEqual(notified.first?.userId, "u-42")
        XCTAssertEqual(notified.first?.message, "운동하러 가요")
        XCTAssertEqual(notified.first?.data?["fallback"], "sms_failed")
        let text = try metrics()
        XCTAssertTrue(text.contains(#"fitmate_sms_failures_total{purpose="custom"} 1"#), text)
    }

    func testRateLimitAndServerErrorsAreRetriedWithBackoff() async throws {
        twilio.script(.fail(status: 429, code: 20429, message: "Too Many Requests"),
                      .fail(status: 500, code: 20500, message: "Internal Server Error"), .accept)
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"retry me"}"#)
        XCTAssertEqual(response.status, 200, response.description)
        XCTAssertEqual(twilio.posts.count, 3)
        XCTAssertEqual(twilio.messages.count, 1)
        let logged = try await messages()
        XCTAssertEqual(logged[0]["attempts"].intValue, 3)
        XCTAssertTrue(SMSProbeModule.notifications.withLock { $0.isEmpty })
    }

    func testRetriesStopAtMaxAttemptsThenFailCountAndNotify() async throws {
        twilio.script(.fail(status: 503, code: 20503, message: "Service Unavailable"),
                      .fail(status: 500, code: 20500, message: "Internal Server Error"),
                      .fail(status: 502, code: 20502, message: "Bad Gateway"), .accept)
        let response = try post("/sms/workout-reminder",
                                #"{"phoneNumber":"010-1234-5678","userName":"민수","workoutType":"요가","userId":"u-7"}"#)
        XCTAssertEqual(response.status, 502, response.description)
        XCTAssertEqual(json(response)["errorCode"] as? String, "20502")
        XCTAssertEqual(twilio.posts.count, 3, "retry.maxAttempts is 3")
        let row = try await messages()[0]
        XCTAssertEqual(row["status"].stringValue, "failed")
        XCTAssertEqual(row["attempts"].intValue, 3)
        let notified = SMSProbeModule.notifications.withLock { $0 }
        XCTAssertEqual(notified.map(\.userId), ["u-7"])
        XCTAssertEqual(notified.first?.type, "workout_reminder")
        XCTAssertTrue(notified.first?.message.contains("오늘 요가 운동 시간입니다.") ?? false)
        let text = try metrics()
        XCTAssertTrue(text.contains(#"fitmate_sms_failures_total{purpose="workout_reminder"} 1"#), text)
    }

    func testTimeoutAfterTwilioCreatedTheMessageAdoptsItInsteadOfSendingAgain() async throws {
        twilio.script(.hang(created: true))
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"only once"}"#)
        XCTAssertEqual(response.status, 200, response.description)
        XCTAssertEqual(twilio.posts.count, 1, "no second POST after the timeout")
        XCTAssertEqual(twilio.messages.count, 1)
        // First by To and DateSent> as the brief asks; a queued message has no date_sent, so then by To alone.
        XCTAssertEqual(twilio.lookups.count, 2)
        XCTAssertEqual(twilio.lookups.map { $0["To"] }, ["+821012345678", "+821012345678"])
        XCTAssertEqual(twilio.lookups.first?["DateSent>"]?.count, 10)
        XCTAssertNil(twilio.lookups.last?["DateSent>"])
        let row = try await messages()[0]
        XCTAssertEqual(row["provider_id"].stringValue, twilio.messages[0].sid)
        XCTAssertEqual(row["status"].stringValue, "queued")
    }

    func testTimeoutWithoutAMessageIsRetriedOnceLookedUp() async throws {
        twilio.script(.hang(created: false), .accept)
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"lost in transit"}"#)
        XCTAssertEqual(response.status, 200, response.description)
        XCTAssertEqual(twilio.lookups.count, 2)
        XCTAssertEqual(twilio.posts.count, 2)
        XCTAssertEqual(twilio.messages.count, 1)
        let logged = try await messages()
        XCTAssertEqual(logged[0]["provider_id"].stringValue, twilio.messages[0].sid)
    }

    /// An identical message logged earlier today is not taken for the one that timed out.
    func testLookUpNeverAdoptsAMessageTheLogAlreadyOwns() async throws {
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"same text"}"#).status, 200)
        twilio.script(.hang(created: false), .accept)
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"same text"}"#).status, 200)
        XCTAssertEqual(twilio.posts.count, 3)
        let ids = try await messages().compactMap { $0["provider_id"].stringValue }
        XCTAssertEqual(ids, twilio.messages.map(\.sid))
    }

    func testTheServiceServesOtherModules() async throws {
        let sms = try XCTUnwrap(probe.service(WellKnownServices.sms))
        let receipt = try await sms.send(SMSRequest(to: "010-1234-5678", template: "workout_reminder",
                                                    parameters: ["userName": "Min", "workoutType": "run"], locale: "en",
                                                    purpose: "workout_reminder"))
        XCTAssertEqual(receipt.status, "queued")
        XCTAssertTrue(twilio.posts.first?["Body"]?.hasPrefix("Hi Min!") ?? false)
        do {
            _ = try await sms.send(SMSRequest(to: "not a number", body: "x"))
            XCTFail("an invalid number must throw")
        } catch let error as ModuleError {
            XCTAssertEqual(error.code, "invalid_phone_number")
        }
        do {
            _ = try await sms.send(SMSRequest(to: "010-1234-5678"))
            XCTFail("neither a body nor a template's parameters")
        } catch let error as ModuleError {
            XCTAssertEqual(error.message, "message is required by the template 'custom'")
        }
        XCTAssertEqual(twilio.posts.count, 1)
    }

    func testUnauthorisedCallersAreRefusedOnEveryProtectedRoute() throws {
        let bodies = ["/sms/send": #"{"phoneNumber":"010-1234-5678","message":"x"}"#,
                      "/sms/workout-reminder": #"{"phoneNumber":"010-1234-5678","userName":"a","workoutType":"b"}"#,
                      "/sms/workout-recommendation": #"{"phoneNumber":"010-1234-5678","userName":"a","exercises":["b"]}"#]
        for (path, body) in bodies {
            XCTAssertEqual(try post(path, body, token: nil).status, 401, path)
            XCTAssertEqual(try post(path, body, token: Self.user).status, 403, path)
            XCTAssertEqual(try post(path, body, token: "not.a.token").status, 401, path)
        }
        let statistics = "/sms/statistics?startDate=2026-01-01&endDate=2026-12-31"
        XCTAssertEqual(try gateway.request("GET", statistics).status, 401)
        XCTAssertEqual(try gateway.request("GET", statistics, token: Self.user).status, 403)
        XCTAssertEqual(try gateway.request("GET", statistics, token: Self.service).status, 403)
        XCTAssertEqual(twilio.posts.count, 0)
        // The roles that are allowed get through.
        XCTAssertEqual(try post("/sms/send", bodies["/sms/send"]!, token: Self.admin).status, 200)
        XCTAssertEqual(try gateway.request("GET", statistics, token: Self.admin).status, 200)
    }
}

/// Twilio unreachable: connection errors are retried, then the message fails with the client's code.
final class SMSUnreachableProviderTests: SMSTestCase {
    override var smsSettings: [String: ConfigValue] {
        ["twilio": .object(["accountSid": .string(FakeTwilio.accountSID), "authToken": .string(FakeTwilio.authToken),
                            "messagingServiceSid": "MG0123", "baseURL": "https://localhost:1", "timeoutMs": 400])]
    }

    func testConnectionErrorsAreRetriedThenFail() async throws {
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"x"}"#)
        XCTAssertEqual(response.status, 502, response.description)
        XCTAssertEqual(json(response)["errorCode"] as? String, "connect")
        let logged = try await messages()
        XCTAssertEqual(logged[0]["attempts"].intValue, 3)
    }
}

/// The daily global cap against SMS pumping, at its edge.
final class SMSDailyCapTests: SMSTestCase {
    override var smsSettings: [String: ConfigValue] { ["dailyCap": 2] }

    func testTheMessageAfterTheCapIsRefusedWithoutARequest() async throws {
        for _ in 0..<2 { XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"x"}"#).status, 200) }
        let refused = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"x"}"#)
        XCTAssertEqual(refused.status, 429, refused.description)
        XCTAssertEqual(json(refused)["code"] as? String, "daily_cap")
        XCTAssertEqual(twilio.posts.count, 2)
        let logged = try await messages()
        XCTAssertEqual(logged.last?["error_code"].stringValue, "daily_cap")
    }
}

/// No credentials: the console provider, so the gateway starts anywhere; nothing reaches Twilio.
final class SMSConsoleProviderTests: SMSTestCase {
    override var smsSettings: [String: ConfigValue] { ["twilio": .null] }

    func testConsoleProviderSendsNothingOutAndLogsTheMessage() async throws {
        let response = try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"hello"}"#)
        XCTAssertEqual(response.status, 200, response.description)
        XCTAssertEqual(json(response)["status"] as? String, "sent")
        XCTAssertEqual(twilio.posts.count, 0)
        let row = try await messages()[0]
        XCTAssertEqual(row["provider"].stringValue, "console")
        XCTAssertTrue(row["provider_id"].stringValue?.hasPrefix("console-") ?? false)
    }
}
