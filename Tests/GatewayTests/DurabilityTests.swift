import EventLoop
import Foundation
import GatewayTestKit
import TestSupport
import XCTest

/// What the gateway acknowledged survives `kill -9`: the bench module's `persist` acks after its row is committed.
final class DurabilityTests: XCTestCase {
    func testAcknowledgedWritesSurviveKillDashNine() throws {
        let dataDir = NSTemporaryDirectory() + "durability-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let environment = ["GATEWAY_BENCH": "1", "GATEWAY_JWT_SECRET": ModuleTestGateway.secret]
        let group = try EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }

        let port = try GatewayProcess.freePort()
        let first = try GatewayProcess(arguments: ["--host", "127.0.0.1", "--port", "\(port)", "--data-dir", dataDir],
                                       environment: environment)
        try first.waitUntilStarted()
        let (client, answer) = try RawSocketIOClient.join(port: port, on: group.loops[0], auth: ModuleTestGateway.auth(sub: "writer"))
        XCTAssertTrue(answer.hasPrefix("40{"), answer)
        // Batches within socketio.maxPendingEvents (64); the kill lands in the middle of the last one, so the process
        // dies with writes queued, in a commit and acknowledged: the acknowledged ones must all be there.
        var acked = 0
        var next = 1
        for batch in 0..<4 {
            for _ in 0..<50 {
                client.send(#"42\#(next)["persist",{"n":\#(next)}]"#)
                next += 1
            }
            let wanted = batch < 3 ? 50 : 10
            for _ in 0..<wanted {
                guard let ack = client.nextText(where: { $0.hasPrefix("43") }) else { break }
                XCTAssertFalse(ack.contains("error"), ack)
                acked += 1
            }
        }
        first.send(signal: SIGKILL)
        XCTAssertNotNil(first.waitForExit())
        XCTAssertEqual(acked, 160)

        let second = try GatewayProcess(arguments: ["--host", "127.0.0.1", "--port", "\(port)", "--data-dir", dataDir],
                                        environment: environment)
        try second.waitUntilStarted()
        let socket = try BlockingSocket(port: port)
        try socket.send("GET /bench/events/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        + "Authorization: Bearer \(ModuleTestGateway.token(sub: "ops", role: "admin"))\r\n\r\n")
        let response = try XCTUnwrap(TestHTTPResponse.parse(try socket.receiveUntilClose()))
        XCTAssertEqual(response.status, 200, response.bodyText)
        let count = Int(response.bodyText.split(separator: ":").last?.dropLast() ?? "") ?? -1
        XCTAssertGreaterThanOrEqual(count, acked, "acknowledged writes were lost: \(count) rows after \(acked) acks")
        second.send(signal: SIGTERM)
        XCTAssertEqual(second.waitForExit(), 0)
    }
}
