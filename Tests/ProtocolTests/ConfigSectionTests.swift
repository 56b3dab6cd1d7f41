import GatewayProtocol
import XCTest

final class ConfigSectionTests: XCTestCase {
    let config = ConfigSection(["n": 1, "s": "x", "list": ["a", "b"], "bad": ["a", 2], "inner": ["m": 0], "nothing": nil])

    func testTypedReadsWithDefaultsAndTheMinimumAtItsEdge() throws {
        XCTAssertEqual(try config.int("n", default: 9, min: 1), 1)
        XCTAssertEqual(try config.int("absent", default: 9, min: 1), 9)
        XCTAssertEqual(try config.int("nothing", default: 9, min: 1), 9)
        XCTAssertEqual(try config.string("s"), "x")
        XCTAssertEqual(try config.strings("list"), ["a", "b"])
        XCTAssertEqual(try config.section("inner").int("m", default: 5, min: 0), 0)
    }

    func testErrorsNameTheFullKey() {
        func message(_ read: () throws -> Void) -> String {
            do { try read(); return "" } catch { return (error as? ModuleError)?.message ?? "\(error)" }
        }
        XCTAssertEqual(message { _ = try config.int("n", default: 0, min: 2) }, "n: must be an integer ≥ 2, got 1")
        XCTAssertEqual(message { _ = try config.section("inner").int("m", default: 0, min: 1) }, "inner.m: must be an integer ≥ 1, got 0")
        XCTAssertEqual(message { _ = try config.string("n") }, "n: must be a string, got 1")
        XCTAssertEqual(message { _ = try config.strings("bad") }, #"bad: must be an array of strings, got ["a",2]"#)
        XCTAssertEqual(message { _ = try config.section("s") }, #"s: must be an object, got "x""#)
    }
}
