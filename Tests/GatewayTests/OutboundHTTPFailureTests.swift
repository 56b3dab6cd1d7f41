import Foundation
import Gateway
import GatewayProtocol
import XCTest

/// Servers that refuse, stay silent, break off or send too much; each failure with its kind and a message that says why.
final class OutboundHTTPFailureTests: OutboundHTTPTestCase {
    func testConnectionRefusedIsConnect() async throws {
        let refused = try RawTestServer(listening: false)
        let client = try makeClient()
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(refused.port)/"))
        XCTAssertEqual(error?.kind, .connect)
        XCTAssertTrue(error?.message.contains("port \(refused.port)") ?? false, "curl's error buffer text: \(String(describing: error))")
    }

    /// The server accepts (the kernel completes the handshake) and never answers.
    func testSilentServerTimesOutAtTheRequestsTimeout() async throws {
        let silent = try RawTestServer()
        let client = try makeClient()
        let start = ContinuousClock.now
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(silent.port)/", timeoutMs: 300))
        let elapsed = elapsedMs(since: start)
        XCTAssertEqual(error?.kind, .timeout, String(describing: error))
        XCTAssertGreaterThanOrEqual(elapsed, 290)
        XCTAssertLessThan(elapsed, 800, "fails at about the configured time, not later")
    }

    func testSilentServerTimesOutAtTheConfiguredDefault() async throws {
        let silent = try RawTestServer()
        let client = try makeClient { $0.timeoutMs = 400 }
        let start = ContinuousClock.now
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(silent.port)/"))
        let elapsed = elapsedMs(since: start)
        XCTAssertEqual(error?.kind, .timeout)
        XCTAssertGreaterThanOrEqual(elapsed, 390)
        XCTAssertLessThan(elapsed, 900)
    }

    func testBodyCutShortIsTransfer() async throws {
        let server = try RawTestServer()
        server.answerOnce(with: Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".utf8))
        let client = try makeClient()
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(server.port)/"))
        XCTAssertEqual(error?.kind, .transfer)
        XCTAssertTrue(error?.message.contains("curl error 18") ?? false, String(describing: error))
    }

    func testGarbageReplyIsTransfer() async throws {
        let server = try RawTestServer()
        server.answerOnce(with: Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8))
        let client = try makeClient()
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(server.port)/"))
        XCTAssertEqual(error?.kind, .transfer, String(describing: error))
    }

    // MARK: httpClient.maxResponseBytes

    func testBodyWithContentLengthAtTheLimitAndOneByteOver() async throws {
        let server = try makeServer()
        let client = try makeClient { $0.maxResponseBytes = 1000 }
        let atLimit = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(server.port)/bytes/1000"))
        XCTAssertEqual(atLimit.body, OutboundTestServer.pattern(1000))
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(server.port)/bytes/1001"))
        XCTAssertEqual(error?.kind, .transfer)
        // Refused from the announced Content-Length, before the body is read.
        XCTAssertTrue(error?.message.contains("httpClient.maxResponseBytes (1000 bytes; the server announced more)") ?? false,
                      String(describing: error))
    }

    /// No Content-Length: the body runs to the end of the connection, so the limit can only be noticed while reading.
    func testCloseDelimitedBodyAtTheLimitAndOneByteOver() async throws {
        let client = try makeClient { $0.maxResponseBytes = 1000 }
        for (size, fits) in [(1000, true), (1001, false)] {
            let server = try RawTestServer()
            server.answerOnce(with: Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + OutboundTestServer.pattern(size))
            let request = OutboundRequest(url: "http://127.0.0.1:\(server.port)/")
            if fits {
                let response = try await client.send(request)
                XCTAssertEqual(response.body.count, 1000)
            } else {
                let error = await error(client, request)
                XCTAssertEqual(error?.kind, .transfer)
                XCTAssertTrue(error?.message.contains("response body exceeds httpClient.maxResponseBytes (1000 bytes)") ?? false,
                              String(describing: error))
            }
        }
    }

    func testHeaderBlockLargerThanTheLimitFails() async throws {
        let server = try RawTestServer()
        let filler = String(repeating: "x", count: 1200)
        server.answerOnce(with: Array("HTTP/1.1 200 OK\r\nX-Big: \(filler)\r\nContent-Length: 0\r\n\r\n".utf8))
        let client = try makeClient { $0.maxResponseBytes = 1000 }
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(server.port)/"))
        XCTAssertEqual(error?.kind, .transfer)
        XCTAssertTrue(error?.message.contains("response headers exceed httpClient.maxResponseBytes") ?? false,
                      String(describing: error))
    }
}
