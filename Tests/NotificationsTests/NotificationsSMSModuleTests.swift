@testable import Gateway
import Foundation
import GatewayProtocol
import GatewayTestKit
import Notifications
import SMS
import TestSupport
import XCTest

/// The fallback through the real SMS module (its console provider: logged and recorded, nothing leaves the machine).
final class NotificationsSMSModuleTests: XCTestCase {
    func testAnUrgentNotificationForAnOfflineUserIsRecordedByTheSMSModule() async throws {
        let gateway = try ModuleTestGateway(modules: [NotificationsModule.self, SMSModule.self])
        defer { gateway.stop() }
        try gateway.setUser("olivia", #"{"phone":"010-1234-5678","smsOptIn":true,"locale":"ko"}"#)
        try gateway.createNotification(for: "olivia", title: "긴급", message: "확인해 주세요", extra: #","priority":"urgent""#)
        let database = gateway.database
        var rows: [SQLRow] = []
        for _ in 0..<100 {
            rows = try await database.query("SELECT to_number, purpose FROM sms_messages", [])
            if !rows.isEmpty { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertEqual(rows.map { $0["purpose"] }, ["notification_fallback"])
        XCTAssertEqual(rows.first?["to_number"], "+821012345678")
    }
}
