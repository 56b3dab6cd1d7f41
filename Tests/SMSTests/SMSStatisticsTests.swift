import Foundation
import GatewayProtocol
import GatewayTestKit
@testable import SMS
import TestSupport
import XCTest

/// `GET /sms/statistics`: counts by status and the delivery rate for a date range; bad dates name the parameter.
final class SMSStatisticsTests: SMSTestCase {
    private func statistics(_ query: String) throws -> TestHTTPResponse {
        try gateway.request("GET", "/sms/statistics?" + query, token: Self.admin)
    }

    func testCountsByStatusAndDeliveryRate() async throws {
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"a"}"#).status, 200)
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"b"}"#).status, 200)
        twilio.script(.fail(status: 400, code: 21211, message: "invalid"))
        XCTAssertEqual(try post("/sms/send", #"{"phoneNumber":"010-1234-5678","message":"c"}"#).status, 502)
        try await probe.database.execute("UPDATE sms_messages SET status = 'delivered' WHERE id = 1", [])

        let today = CivilTime.dateString(ms: probe.clock.nowMs())
        let response = try statistics("startDate=\(today)&endDate=\(today)")
        XCTAssertEqual(response.status, 200, response.description)
        let body = json(response)
        XCTAssertEqual(body["total"] as? Int, 3)
        XCTAssertEqual(body["byStatus"] as? [String: Int],
                       ["queued": 1, "sent": 0, "delivered": 1, "failed": 1, "undelivered": 0])
        XCTAssertEqual(body["deliveryRate"] as? Double, 0.5)

        let isoRange = try statistics("startDate=2020-01-01T00:00:00Z&endDate=2099-01-01T09:00:00.5%2B09:00")
        XCTAssertEqual(json(isoRange)["total"] as? Int, 3)
        let past = try statistics("startDate=2020-01-01&endDate=2020-01-31")
        XCTAssertEqual(json(past)["total"] as? Int, 0)
        XCTAssertEqual(json(past)["deliveryRate"] as? Double, 0)
    }

    func testBadDatesAreA400NamingTheParameter() throws {
        let cases = [
            ("endDate=2026-01-01", "startDate is required"),
            ("startDate=2026-13-01&endDate=2026-12-31", "startDate:"),
            ("startDate=2026-02-29&endDate=2026-12-31", "startDate:"),
            ("startDate=2026-01-01&endDate=yesterday", "endDate:"),
            ("startDate=2026-01-01&endDate=2026-01-02T25:00:00Z", "endDate:"),
            ("startDate=2026-01-01&endDate=2026-01-02T10:00:00", "endDate:"),
            ("startDate=2026-02-01&endDate=2026-01-01", "endDate: must be after startDate"),
        ]
        for (query, prefix) in cases {
            let response = try statistics(query)
            XCTAssertEqual(response.status, 400, query)
            XCTAssertTrue((json(response)["message"] as? String ?? "").hasPrefix(prefix), "\(query): \(response.bodyText)")
        }
        XCTAssertEqual(try statistics("startDate=2028-02-29&endDate=2028-02-29").status, 200, "a leap day")
    }
}
