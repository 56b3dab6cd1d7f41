import XCTest
@testable import HTTP

final class RouterTests: XCTestCase {
    private func makeRouter() -> Router<String> {
        var r = Router<String>()
        r.add("GET", "/", "root")
        r.add("GET", "/health", "health")
        r.add("GET", "/chat/rooms", "rooms")
        r.add("POST", "/chat/rooms", "createRoom")
        r.add("GET", "/chat/rooms/:id", "room")
        r.add("GET", "/chat/rooms/new", "newRoomForm")
        r.add("GET", "/chat/rooms/:id/messages", "messages")
        r.add("DELETE", "/chat/rooms/:roomId/messages/:messageId", "deleteMessage")
        r.add("GET", "/users/:id/edit", "editUser")
        r.add("GET", "/users/me", "me")
        r.add("GET", "/static/*", "static")
        r.add("GET", "/files/*path", "file")
        r.add("GET", "/files/readme", "readme")
        r.add("HEAD", "/only-head", "onlyHead")
        return r
    }

    private func matched(_ r: Router<String>, _ method: String, _ path: String,
                         file: StaticString = #filePath, line: UInt = #line) -> RouteMatch<String>? {
        guard case .matched(let m) = r.route(method: method, path: path[...]) else {
            XCTFail("\(method) \(path) did not match", file: file, line: line)
            return nil
        }
        return m
    }

    private func isNotFound(_ r: Router<String>, _ method: String, _ path: String) -> Bool {
        if case .notFound = r.route(method: method, path: path[...]) { return true }
        return false
    }

    func testTable() {
        let r = makeRouter()
        let cases: [(String, String, String, [String: String])] = [
            ("GET", "/", "root", [:]),
            ("GET", "/health", "health", [:]),
            ("GET", "/chat/rooms", "rooms", [:]),
            ("POST", "/chat/rooms", "createRoom", [:]),
            ("GET", "/chat/rooms/42", "room", ["id": "42"]),
            ("GET", "/chat/rooms/new", "newRoomForm", [:]),                  // static beats :param
            ("GET", "/chat/rooms/new/messages", "messages", ["id": "new"]),   // backtracks into :param
            ("DELETE", "/chat/rooms/7/messages/99", "deleteMessage", ["roomId": "7", "messageId": "99"]),
            ("GET", "/users/me", "me", [:]),
            ("GET", "/users/me/edit", "editUser", ["id": "me"]),
            ("GET", "/static/css/app.css", "static", ["*": "css/app.css"]),
            ("GET", "/static", "static", ["*": ""]),
            ("GET", "/files/readme", "readme", [:]),                           // static beats *
            ("GET", "/files/readme/x", "file", ["path": "readme/x"]),
            ("GET", "/files/a%20b/c%2Fd", "file", ["path": "a b/c/d"]),
        ]
        for (method, path, handler, params) in cases {
            guard let m = matched(r, method, path) else { continue }
            XCTAssertEqual(m.handler, handler, "\(method) \(path)")
            XCTAssertEqual(m.parameters, params, "\(method) \(path)")
        }
    }

    func testParamBeatsWildcard() {
        var r = Router<String>()
        r.add("GET", "/a/*", "wild")
        r.add("GET", "/a/:x", "param")
        XCTAssertEqual(matched(r, "GET", "/a/1")?.handler, "param")
        XCTAssertEqual(matched(r, "GET", "/a/1/2")?.handler, "wild")
        XCTAssertEqual(matched(r, "GET", "/a/1/2")?.parameters, ["*": "1/2"])
    }

    func testPercentDecoding() {
        let r = makeRouter()
        XCTAssertEqual(matched(r, "GET", "/chat/rooms/%EC%95%88%EB%85%95")?.parameters, ["id": "안녕"])
        XCTAssertEqual(matched(r, "GET", "/chat/rooms/a%2Fb")?.parameters, ["id": "a/b"])
        XCTAssertEqual(matched(r, "GET", "/chat/rooms/a+b")?.parameters, ["id": "a+b"])
        XCTAssertEqual(matched(r, "GET", "/he%61lth")?.handler, "health")
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/%zz"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/%4"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/%"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/%C3%28"))   // invalid UTF-8
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/a%00b"))
    }

    func testTrailingSlashIsInsignificant() {
        var r = makeRouter()
        r.add("GET", "/slashed/", "slashed")
        XCTAssertEqual(matched(r, "GET", "/health/")?.handler, "health")
        XCTAssertEqual(matched(r, "GET", "/chat/rooms/5/")?.parameters, ["id": "5"])
        XCTAssertEqual(matched(r, "GET", "/slashed")?.handler, "slashed")
        XCTAssertEqual(matched(r, "GET", "/slashed/")?.handler, "slashed")
        XCTAssertTrue(isNotFound(r, "GET", "/health//"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat//rooms"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms//messages"))   // empty segment is no :id
    }

    func testNotFound() {
        let r = makeRouter()
        XCTAssertTrue(isNotFound(r, "GET", "/nope"))
        XCTAssertTrue(isNotFound(r, "GET", "/chat/rooms/1/2"))
        XCTAssertTrue(isNotFound(r, "GET", ""))
        XCTAssertTrue(isNotFound(r, "GET", "*"))
        XCTAssertTrue(isNotFound(r, "GET", "http://example.com/health"))
        XCTAssertTrue(isNotFound(Router<String>(), "GET", "/"))
    }

    func testMethodNotAllowedListsAllowed() {
        let r = makeRouter()
        guard case .methodNotAllowed(let allowed) = r.route(method: "PUT", path: "/chat/rooms") else {
            return XCTFail("expected 405")
        }
        XCTAssertEqual(allowed, ["GET", "HEAD", "POST"])
        // The union over every matching route: /chat/rooms/:id (GET) and /chat/rooms/new (GET), no duplicates.
        guard case .methodNotAllowed(let a2) = r.route(method: "DELETE", path: "/chat/rooms/new") else {
            return XCTFail("expected 405")
        }
        XCTAssertEqual(a2, ["GET", "HEAD"])
        guard case .methodNotAllowed(let a3) = r.route(method: "GET", path: "/only-head") else {
            return XCTFail("expected 405")
        }
        XCTAssertEqual(a3, ["HEAD"])
        // Methods are case-sensitive.
        guard case .methodNotAllowed = r.route(method: "get", path: "/health") else { return XCTFail("expected 405") }
    }

    func testHeadFallsBackToGet() {
        var r = makeRouter()
        XCTAssertEqual(matched(r, "HEAD", "/chat/rooms/3")?.handler, "room")
        XCTAssertEqual(matched(r, "HEAD", "/chat/rooms/3")?.parameters, ["id": "3"])
        r.add("HEAD", "/health", "healthHead")
        XCTAssertEqual(matched(r, "HEAD", "/health")?.handler, "healthHead")
        XCTAssertEqual(matched(r, "GET", "/health")?.handler, "health")
    }

    func testMethodSpecificRouteFoundBehindPreferredBranch() {
        var r = Router<String>()
        r.add("GET", "/a/new", "newForm")
        r.add("DELETE", "/a/:id", "delete")
        XCTAssertEqual(matched(r, "DELETE", "/a/new")?.parameters, ["id": "new"])
    }

    func testParameterNamesMayDifferPerRouteOnSharedNode() {
        var r = Router<String>()
        r.add("GET", "/u/:id", "get")
        r.add("PUT", "/u/:userId", "put")
        XCTAssertEqual(matched(r, "GET", "/u/1")?.parameters, ["id": "1"])
        XCTAssertEqual(matched(r, "PUT", "/u/1")?.parameters, ["userId": "1"])
    }

    func testRouterIsAValue() {
        var a = Router<String>()
        a.add("GET", "/x", "x")
        var b = a
        b.add("GET", "/y", "y")
        XCTAssertTrue(isNotFound(a, "GET", "/y"))
        XCTAssertEqual(matched(b, "GET", "/x")?.handler, "x")
    }
}
