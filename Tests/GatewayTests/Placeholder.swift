import XCTest

final class GatewayTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
