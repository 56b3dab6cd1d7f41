import XCTest

final class EngineIOTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
