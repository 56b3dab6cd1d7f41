import XCTest

final class SocketIOTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
