import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
@testable import SMS
import TestSupport
import XCTest

/// Delivery reports: accepted only with a valid `X-Twilio-Signature` over the public URL and the sorted parameters.
final class SMSStatusCallbackTests: SMSTestCase {
    /// Signs as Twilio does, with the gateway's crypto: URL, then each parameter sorted by name as name + value.
    func sign(_ url: String, _ parameters: [(String, String)], token: String = FakeTwilio.authToken) -> String {
        let data = url + parameters.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        return probe.crypto.base64Encode(probe.crypto.hmacSHA1(key: Array(token.utf8), data: Array(data.utf8)))
    }

    func callback(_ parameters: [(String, String)], signature: String?) throws -> TestHTTPResponse {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let signature { headers.append(("X-Twilio-Signature", signature)) }
        return try raw("POST", "/sms/status-callback", headers: headers, body: FormEncoding.encode(parameters))
    }

    func statusParameters(_ sid: String, _ status: String) -> [(String, String)] {
        [("SmsSid", sid), ("MessageSid", sid), ("MessageStatus", status), ("SmsStatus", status), ("To", "+821012345678"),
         ("From", "+15005550006"), ("AccountSid", FakeTwilio.accountSID), ("ApiVersion", "2010-04-01")]
    }

    private func sendOne() async throws -> String {
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"track me"}"#).status, 200)
        return try XCTUnwrap(twilio.messages.last?.sid)
    }

    private func status() async throws -> String? {
        try await messages().last?["status"].stringValue
    }

    func testTwiliosDocumentedExampleVerifies() {
        let signature = TwilioSignature(authToken: "12345", crypto: probe.crypto)
        let parameters = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
                          ("From", "+12349013030"), ("To", "+18005551212")]
        XCTAssertTrue(signature.isValid(signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
                                        url: "https://mycompany.com/myapp.php?foo=1&bar=2", parameters: parameters.reversed()))
        XCTAssertFalse(signature.isValid(signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
                                         url: "https://mycompany.com/myapp.php?foo=1&bar=3", parameters: parameters))
    }

    func testSignedCallbacksMoveTheStatusForwardOnly() async throws {
        let sid = try await sendOne()
        let url = "https://gw.fitmate.test/sms/status-callback"
        let sent = statusParameters(sid, "sent")
        XCTAssertEqual(try callback(sent, signature: sign(url, sent)).status, 204)
        var current = try await status()
        XCTAssertEqual(current, "sent")
        let delivered = statusParameters(sid, "delivered")
        XCTAssertEqual(try callback(delivered, signature: sign(url, delivered)).status, 204)
        let row = try await messages().last
        XCTAssertEqual(row?["status"].stringValue, "delivered")
        XCTAssertNotNil(row?["delivered_at_ms"].int64Value)
        // A late `sent` does not undo `delivered`.
        XCTAssertEqual(try callback(sent, signature: sign(url, sent)).status, 204)
        current = try await status()
        XCTAssertEqual(current, "delivered")
    }

    func testUndeliveredKeepsTheErrorCode() async throws {
        let sid = try await sendOne()
        let parameters = statusParameters(sid, "undelivered") + [("ErrorCode", "30003")]
        XCTAssertEqual(try callback(parameters, signature: sign("https://gw.fitmate.test/sms/status-callback", parameters)).status, 204)
        let row = try await messages().last
        XCTAssertEqual(row?["status"].stringValue, "undelivered")
        XCTAssertEqual(row?["error_code"].stringValue, "30003")
    }

    func testForgedCallbacksAreRefused() async throws {
        let sid = try await sendOne()
        let url = "https://gw.fitmate.test/sms/status-callback"
        let delivered = statusParameters(sid, "delivered")
        let failed = statusParameters(sid, "failed")
        let cases: [(String, String?)] = [
            ("no signature", nil),
            ("garbage", "not base64 at all"),
            ("another token", sign(url, delivered, token: "someone-elses-token")),
            ("another URL", sign("https://evil.test/sms/status-callback", delivered)),
            ("parameters changed after signing", sign(url, failed)),
        ]
        for (name, signature) in cases {
            let response = try callback(delivered, signature: signature)
            XCTAssertEqual(response.status, 403, name)
            XCTAssertEqual(json(response)["code"] as? String, "invalid_signature", name)
        }
        let current = try await status()
        XCTAssertEqual(current, "queued")
    }
}

/// Without `publicBaseURL`, the signed URL is the request's own scheme and Host.
final class SMSStatusCallbackHostTests: SMSTestCase {
    override var smsSettings: [String: ConfigValue] { ["publicBaseURL": .null] }

    func testSignatureIsCheckedAgainstSchemeAndHost() async throws {
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"x"}"#).status, 200)
        XCTAssertNil(twilio.posts.last?["StatusCallback"], "no public URL, no callback requested")
        let sid = try XCTUnwrap(twilio.messages.last?.sid)
        let parameters = [("MessageSid", sid), ("MessageStatus", "delivered")]
        let data = "http://127.0.0.1:\(gateway.port)/sms/status-callback" + parameters.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        let signature = probe.crypto.base64Encode(probe.crypto.hmacSHA1(key: Array(FakeTwilio.authToken.utf8), data: Array(data.utf8)))
        let response = try raw("POST", "/sms/status-callback",
                               headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
                               body: FormEncoding.encode(parameters))
        XCTAssertEqual(response.status, 204, response.description)
        let logged = try await messages()
        XCTAssertEqual(logged.last?["status"].stringValue, "delivered")
    }
}
