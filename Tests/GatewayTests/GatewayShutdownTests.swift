import EventLoop
import Foundation
import HTTP
import Synchronization
import TestSupport
import XCTest
@testable import Gateway

/// Graceful shutdown at the `Gateway` API level, where a slow route can be added (the binary has none).
final class GatewayShutdownTests: GatewayInProcessTestCase {
    private static let slowBody: [UInt8] = (0..<200_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }

    private func startWithSlowRoute(received: Flag) throws -> Gateway {
        try startGateway(configuration()) { gateway in
            gateway.http.route("GET", "/slow") { context in
                received.set()
                context.loop.scheduleTimer(afterMs: 300) {
                    context.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Self.slowBody))
                }
            }
        }
    }

    func testInFlightRequestCompletesWithFullBodyThenCompletionRunsAndLoopsStop() throws {
        let received = Flag()
        let gateway = try startWithSlowRoute(received: received)
        let port = gateway.port
        var client: BlockingSocket! = try BlockingSocket(port: port)
        try client.send(TestHTTPResponse.getRequest("/slow"))
        XCTAssertTrue(waitUntil { received.isSet }, "the slow route never ran")

        forget(gateway)
        let completed = Flag()
        let shutdownStarted = Date()
        gateway.shutdown { completed.set() }
        XCTAssertFalse(completed.isSet, "completion ran while a request was in flight")

        let response = try client.receiveResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body.count, Self.slowBody.count)
        XCTAssertEqual(response.body, Self.slowBody, "the in-flight response was cut short")
        XCTAssertEqual(response.header("Connection")?.lowercased(), "close", "a draining server announces the close")
        XCTAssertTrue(client.isClosedByPeer())
        // Closing our side on EOF, as a real client does, ends the server's lingering close.
        client = nil

        XCTAssertTrue(waitUntil { completed.isSet }, "shutdown completion never ran")
        XCTAssertTrue(waitUntilStopped(gateway), "loops did not stop")
        // Well before the 3 s deadline: the drain finished when the connection closed, not at the deadline.
        XCTAssertLessThan(Date().timeIntervalSince(shutdownStarted), 1.5)
        // The listener is gone: new connections are refused.
        XCTAssertThrowsError(try BlockingSocket(port: port))
    }

    func testNewConnectionsAreRefusedWhileARequestDrains() throws {
        let received = Flag()
        let gateway = try startWithSlowRoute(received: received)
        var client: BlockingSocket! = try BlockingSocket(port: gateway.port)
        try client.send(TestHTTPResponse.getRequest("/slow"))
        XCTAssertTrue(waitUntil { received.isSet })

        forget(gateway)
        let completed = Flag()
        gateway.shutdown { completed.set() }
        // The listener closes asynchronously on its loops, well within the 300 ms the slow request takes.
        XCTAssertTrue(waitUntil(timeoutSeconds: 0.25) { (try? BlockingSocket(port: gateway.port)) == nil },
                      "still accepting during the drain")
        XCTAssertEqual(try client.receiveResponse().body.count, Self.slowBody.count)
        XCTAssertTrue(client.isClosedByPeer())
        client = nil
        XCTAssertTrue(waitUntil { completed.isSet })
        XCTAssertTrue(waitUntilStopped(gateway))
    }

    func testShutdownWithNoConnectionsCompletesAndStopsAtOnce() throws {
        let gateway = try startGateway(configuration())
        XCTAssertEqual(try BlockingSocket(port: gateway.port).get("/healthz").status, 200)
        let started = Date()
        let result = stopAndWait(gateway)
        XCTAssertTrue(result.completed)
        XCTAssertTrue(result.stopped)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
    }

    func testRequestOutlivingTheDeadlineIsCutAndShutdownStillCompletes() throws {
        var configuration = configuration()
        configuration.shutdownTimeoutMs = 100
        let received = Flag()
        let gateway = try startGateway(configuration) { gateway in
            gateway.http.route("GET", "/never") { _ in received.set() }
        }
        let client = try BlockingSocket(port: gateway.port)
        try client.send(TestHTTPResponse.getRequest("/never"))
        XCTAssertTrue(waitUntil { received.isSet })
        let result = stopAndWait(gateway, timeoutSeconds: 3)
        XCTAssertTrue(result.completed, "completion must run once the deadline forced the connection closed")
        XCTAssertTrue(result.stopped)
        XCTAssertTrue(client.isClosedByPeer())
    }
}
