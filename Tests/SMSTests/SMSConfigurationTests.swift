import Foundation
import Gateway
import GatewayTestKit
import SMS
import XCTest

/// A wrong `modules.sms` section stops the start-up with the key to fix.
final class SMSConfigurationTests: XCTestCase {
    private func startError(_ section: [String: ConfigValue]) -> String {
        do {
            let gateway = try ModuleTestGateway(modules: [SMSModule.self]) { $0.modules["sms"] = .init(raw: section) }
            gateway.stop()
            return "started"
        } catch {
            return "\(error)"
        }
    }

    func testBadSettingsNameTheKey() {
        XCTAssertTrue(startError(["retry": .object(["maxAttempts": 0])]).contains("retry.maxAttempts: must be an integer ≥ 1"))
        XCTAssertTrue(startError(["dailyCap": "many"]).contains("dailyCap: must be an integer ≥ 0"))
        XCTAssertTrue(startError(["allowedCountryCodes": .array(["82"])]).contains("allowedCountryCodes: '82' is not a country code"))
        XCTAssertTrue(startError(["twilio": .object(["accountSid": "AC1", "authToken": "t", "from": "+1500",
                                                     "messagingServiceSid": "MG1"])])
                        .contains("twilio: set exactly one of twilio.from"))
        XCTAssertTrue(startError(["twilio": .object(["accountSid": "AC1"])]).contains("twilio.authToken: required"))
        XCTAssertTrue(startError(["defaultLocale": "de"]).contains("defaultLocale: no templates for 'de'"))
        XCTAssertEqual(startError([:]), "started", "no settings at all: the console provider")
    }
}
