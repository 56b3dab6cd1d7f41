import HTTP
import XCTest

final class HTTPQueryTests: XCTestCase {
    func testQueryParsingFollowsURLSearchParams() {
        let q = HTTPQuery.parse("EIO=4&transport=polling&t=a%20b+c&sid=x&sid=y&flag&bad=%zz")
        XCTAssertEqual(q["EIO"], "4")
        XCTAssertEqual(q["transport"], "polling")
        XCTAssertEqual(q["t"], "a b c")
        XCTAssertEqual(q["sid"], "y", "the last value wins (Object.fromEntries)")
        XCTAssertEqual(q["flag"], "")
        XCTAssertEqual(q["bad"], "%zz")
        XCTAssertEqual(HTTPQuery.parse(nil), [:])
    }
}
