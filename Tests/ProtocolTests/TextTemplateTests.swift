import GatewayProtocol
import XCTest

final class TextTemplateTests: XCTestCase {
    func testPlaceholdersAreIdentifiersBetweenBracesAndOtherBracesAreText() {
        XCTAssertEqual(TextTemplate.placeholders("Hi {name}, {count} new; {name} again"), ["name", "count", "name"])
        XCTAssertEqual(TextTemplate.placeholders("{} { x } {a-b} {ok_1} {unclosed"), ["ok_1"])
        XCTAssertEqual(TextTemplate.placeholders("{{inner}}"), ["inner"])
        XCTAssertEqual(TextTemplate.placeholders("운동 {이름} 완료"), ["이름"], "letters of any script")
    }

    func testFillReplacesKnownPlaceholdersOnceAndKeepsTheRestAsWritten() {
        XCTAssertEqual(TextTemplate.fill("{a} and {b} and {c", ["a": "1", "b": "{a}"]), "1 and {a} and {c",
                       "a value is not filled again")
        XCTAssertEqual(TextTemplate.fill("{missing} {} { a } {a}!", ["a": "x"]), "{missing} {} { a } x!")
        XCTAssertEqual(TextTemplate.fill("{{a}}", ["a": "x"]), "{x}")
        XCTAssertEqual(TextTemplate.fill("", [:]), "")
    }
}
