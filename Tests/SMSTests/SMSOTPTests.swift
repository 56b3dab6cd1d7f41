import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// The public one-time-code routes: lifecycle, brute force, expiry, rate limits per number and per client address, and
/// answers that never tell whether a number belongs to a user.
final class SMSOTPTests: SMSTestCase {
    override var smsSettings: [String: ConfigValue] {
        ["otp": .object(["requestsPerNumber": 3, "requestsPerIP": 5, "verificationsPerIP": 12])]
    }

    private func requestCode(_ number: String = "010-1234-5678") throws -> TestHTTPResponse {
        try post("/sms/request-otp", #"{"phoneNumber":"\#(number)"}"#, token: nil)
    }

    private func verify(_ code: String, _ number: String = "010-1234-5678") throws -> TestHTTPResponse {
        try post("/sms/verify-otp", #"{"phoneNumber":"\#(number)","otpCode":"\#(code)"}"#, token: nil)
    }

    /// The code in the last SMS the fake received.
    private func lastCode() throws -> String {
        let body = try XCTUnwrap(twilio.posts.last?["Body"])
        let range = try XCTUnwrap(body.range(of: #"[0-9]{6}"#, options: .regularExpression), body)
        return String(body[range])
    }

    private func wrong(_ code: String) -> String { code == "000000" ? "000001" : "000000" }

    func testCodeIsSentVerifiedOnceAndNeverStoredInClear() async throws {
        let requested = try requestCode()
        XCTAssertEqual(requested.status, 200, requested.description)
        XCTAssertEqual(requested.bodyText, #"{"success":true,"message":"인증번호를 전송했습니다."}"#)
        let code = try lastCode()
        XCTAssertTrue(twilio.posts.last?["Body"]?.hasPrefix("FitMate 인증번호: \(code)\n\n5분 내에 입력해주세요.") ?? false)
        let rows = try await probe.database.query("SELECT code_hash FROM sms_otp_codes", [])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["code_hash"].blobValue?.count, 32, "stored as HMAC-SHA256")
        XCTAssertNotEqual(rows[0]["code_hash"].blobValue, Array(code.utf8))
        let logged = try await messages()
        XCTAssertEqual(logged[0]["purpose"].stringValue, "otp")
        XCTAssertTrue(logged[0]["body"].isNull, "the log keeps no text holding a code")

        XCTAssertEqual(try verify(wrong(code)).bodyText, #"{"success":false,"message":"인증번호가 일치하지 않습니다."}"#)
        XCTAssertEqual(try verify(code, "+82 10-1234-5678").bodyText, #"{"success":true,"message":"인증 성공"}"#,
                       "any spelling of the same number")
        XCTAssertEqual(try json(verify(code))["success"] as? Bool, false, "single use")
    }

    func testFifthAttemptMayBeRightButTheSixthFailsEvenWithTheRightCode() throws {
        XCTAssertEqual(try requestCode().status, 200)
        var code = try lastCode()
        for _ in 0..<4 { XCTAssertEqual(try json(verify(wrong(code)))["success"] as? Bool, false) }
        XCTAssertEqual(try json(verify(code))["success"] as? Bool, true, "the 5th attempt still counts")

        XCTAssertEqual(try requestCode().status, 200)
        code = try lastCode()
        for _ in 0..<5 { XCTAssertEqual(try json(verify(wrong(code)))["success"] as? Bool, false) }
        XCTAssertEqual(try json(verify(code))["success"] as? Bool, false, "the 6th attempt fails even with the right code")
    }

    /// Expiry is driven by editing the row's `expires_at_ms` through the gateway's storage (no fake clock).
    func testExpiredCodeFails() async throws {
        XCTAssertEqual(try requestCode().status, 200)
        let code = try lastCode()
        let stored = try await probe.database.query("SELECT created_at_ms, expires_at_ms FROM sms_otp_codes", [])
        let created = try XCTUnwrap(stored.first?["created_at_ms"].int64Value)
        XCTAssertEqual(stored.first?["expires_at_ms"].int64Value, created + 300_000, "five minutes")
        try await probe.database.execute("UPDATE sms_otp_codes SET expires_at_ms = ?", [.integer(probe.clock.nowMs() - 1)])
        XCTAssertEqual(try json(verify(code))["success"] as? Bool, false)
    }

    func testRequestsPerNumberAreLimitedWithRetryAfter() throws {
        for _ in 0..<3 { XCTAssertEqual(try requestCode().status, 200) }
        let refused = try requestCode("+821012345678")
        XCTAssertEqual(refused.status, 429, refused.description)
        XCTAssertEqual(json(refused)["code"] as? String, "rate_limited")
        let retryAfter = try XCTUnwrap(refused.header("Retry-After").flatMap(Int.init))
        XCTAssertTrue((1...600).contains(retryAfter), "\(retryAfter)")
        XCTAssertEqual(try requestCode("010-2222-3333").status, 200, "another number is not limited")
        XCTAssertEqual(twilio.posts.count, 4)
    }

    func testRequestsPerClientAddressAreLimited() throws {
        for index in 0..<5 { XCTAssertEqual(try requestCode("010-3000-000\(index)").status, 200) }
        let refused = try requestCode("010-3000-0009")
        XCTAssertEqual(refused.status, 429)
        XCTAssertNotNil(refused.header("Retry-After"))
        XCTAssertEqual(twilio.posts.count, 5)
        let text = try metrics()
        XCTAssertTrue(text.contains(#"fitmate_sms_otp_rate_limited_total{limit="otp-request-ip"} 1"#), text)
    }

    func testVerificationsPerClientAddressAreLimited() throws {
        for index in 0..<12 { XCTAssertEqual(try verify("123456", "010-4000-00\(10 + index)").status, 200) }
        let refused = try verify("123456", "010-4000-0099")
        XCTAssertEqual(refused.status, 429)
        XCTAssertNotNil(refused.header("Retry-After"))
    }

    func testAnswersDoNotRevealWhetherANumberIsRegistered() throws {
        let registered = try gateway.request("PUT", "/internal/users/u-1", token: Self.service,
                                             body: #"{"phone":"+821055556666","name":"민수"}"#)
        XCTAssertEqual(registered.status, 200, registered.description)
        let known = try requestCode("010-5555-6666")
        let unknown = try requestCode("010-7777-8888")
        XCTAssertEqual(known.status, unknown.status)
        XCTAssertEqual(known.bodyText, unknown.bodyText)
        XCTAssertEqual(try verify("000000", "010-5555-6666").bodyText, try verify("000000", "010-7777-8888").bodyText)
        XCTAssertEqual(try verify("000000", "010-9999-0000").bodyText, try verify("000000", "010-7777-8888").bodyText,
                       "no code at all looks like a wrong code")
    }

    func testInvalidNumbersAreRefusedBeforeAnySMS() throws {
        let response = try requestCode("call me")
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(json(response)["code"] as? String, "invalid_phone_number")
        XCTAssertEqual(try post("/sms/verify-otp", #"{"phoneNumber":"010-1234-5678"}"#, token: nil).status, 400)
        XCTAssertEqual(twilio.posts.count, 0)
    }

    func testCodeIsRevokedWhenTheSMSCannotBeSent() async throws {
        twilio.script(.fail(status: 400, code: 21211, message: "invalid"))
        let response = try requestCode()
        XCTAssertEqual(response.status, 502)
        XCTAssertEqual(json(response)["success"] as? Bool, false)
        let rows = try await probe.database.query("SELECT phone FROM sms_otp_codes", [])
        XCTAssertEqual(rows.count, 0)
    }
}
