import HTTP
import XCTest
@testable import Gateway

/// The redirect listener's answer, computed without sockets.
final class GatewayHTTPSRedirectTests: XCTestCase {
    private func redirect(host: String?, target: String = "/path?q=1", httpsPort: Int = 8443) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let host { headers.add("Host", host) }
        return HTTPSRedirect.response(for: HTTPRequest(head: HTTPRequestHead(method: "GET", target: target, headers: headers)),
                                      httpsPort: httpsPort)
    }

    private func assertRedirect(_ response: HTTPResponse, to location: String, line: UInt = #line) {
        XCTAssertEqual(response.status, 308, line: line)
        XCTAssertEqual(response.headers["Location"], location, line: line)
    }

    private func assertRefused(_ response: HTTPResponse, line: UInt = #line) {
        XCTAssertEqual(response.status, 400, line: line)
        XCTAssertNil(response.headers["Location"], line: line)
    }

    func testHostWithPortIsReplacedByTheHTTPSPort() {
        assertRedirect(redirect(host: "example.com:8080"), to: "https://example.com:8443/path?q=1")
        assertRedirect(redirect(host: "example.com"), to: "https://example.com:8443/path?q=1")
    }

    func testStandardHTTPSPortIsLeftOut() {
        assertRedirect(redirect(host: "example.com:80", httpsPort: 443), to: "https://example.com/path?q=1")
    }

    func testIPv6Literal() {
        assertRedirect(redirect(host: "[::1]:8080"), to: "https://[::1]:8443/path?q=1")
        assertRedirect(redirect(host: "[2001:db8::1]", httpsPort: 443), to: "https://[2001:db8::1]/path?q=1")
        assertRefused(redirect(host: "[::1"))
    }

    func testMissingOrEmptyHostIsBadRequest() {
        assertRefused(redirect(host: nil))
        assertRefused(redirect(host: ""))
        assertRefused(redirect(host: ":8080"))
    }

    func testHostileHostIsRefused() {
        for host in ["evil.com/x", "evil.com/x:80", "a.com\r\nSet-Cookie: x=1", "a.com\nX: y", "user@evil.com",
                     "evil.com?x", "evil.com#x", "evil.com\\x", "a b", "%2F"] {
            XCTAssertEqual(redirect(host: host).status, 400, "Host \(host.debugDescription) was redirected")
        }
    }

    func testTargetThatIsNotAPathRedirectsToTheRoot() {
        assertRedirect(redirect(host: "example.com", target: "*"), to: "https://example.com:8443/")
        assertRedirect(redirect(host: "example.com", target: "http://other.com/x"), to: "https://example.com:8443/")
    }
}
