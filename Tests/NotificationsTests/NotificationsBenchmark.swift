@testable import Gateway
import EventLoop
import Foundation
import GatewayProtocol
import GatewayTestKit
import Notifications
import Synchronization
import TestSupport
import WebSocket
import XCTest

/// Notifications created per second through `POST /internal/notifications` with every one delivered to an online user,
/// and the create→deliver latency a client sees (from the request's first byte to its `newNotification` frame).
/// Off by default: `NOTIFICATIONS_BENCH=1 swift test -c release --filter NotificationsBenchmark`.
final class NotificationsBenchmark: XCTestCase {
    func testCreateThroughputAndDeliveryLatency() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["NOTIFICATIONS_BENCH"] == "1" else { throw XCTSkip("set NOTIFICATIONS_BENCH=1 to run the benchmark") }
        let users = Int(environment["BENCH_USERS"] ?? "") ?? 100
        let senders = Int(environment["BENCH_SENDERS"] ?? "") ?? 4
        let seconds = Double(environment["BENCH_SECONDS"] ?? "") ?? 5

        let gateway = try ModuleTestGateway(modules: [NotificationsModule.self])
        defer { gateway.stop() }
        let latencies = Mutex<[UInt64]>([])
        let delivered = Atomic<Int>(0)
        let ready = Atomic<Int>(0)
        let loop = gateway.clientGroup.loops[0]
        let port = gateway.port
        var sessions: [LoopBound<WebSocketSession>] = []
        let sessionsLock = Mutex<[LoopBound<WebSocketSession>]>([])
        for n in 0..<users {
            let auth = ModuleTestGateway.auth(sub: "bench-\(n)")
            loop.execute {
                WebSocketClient.connect(host: "127.0.0.1", port: port, path: "/socket.io/?EIO=4&transport=websocket", on: loop) { result in
                    guard case .success(let session) = result else { return }
                    session.onText = { [weak session] text in
                        if text == "2" { _ = session?.sendText("3"); return }
                        if text.hasPrefix("0{") { _ = session?.sendText("40" + auth); return }
                        if text.hasPrefix("40") { ready.add(1, ordering: .relaxed); return }
                        guard text.hasPrefix(#"42["newNotification""#), let sent = Self.sentAt(text) else { return }
                        let now = Self.monotonicNs()
                        latencies.withLock { $0.append(now - sent) }
                        delivered.add(1, ordering: .relaxed)
                    }
                    sessionsLock.withLock { $0.append(LoopBound(session, loop: loop)) }
                }
            }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 20) { ready.load(ordering: .relaxed) == users })
        sessions = sessionsLock.withLock { $0 }

        let created = Atomic<Int>(0)
        let deadline = Date().addingTimeInterval(seconds)
        let started = Date()
        let token = serviceToken
        // One thread per sender (concurrentPerform would run only as many as there are cores).
        let finished = Atomic<Int>(0)
        for sender in 0..<senders {
            Thread.detachNewThread {
                defer { finished.add(1, ordering: .relaxed) }
                guard let socket = try? BlockingSocket(port: port) else { return }
                var n = sender
                while Date() < deadline {
                    let body = #"{"userId":"bench-\#(n % users)","title":"Bench","message":"m","type":"system","data":{"t":\#(Self.monotonicNs())}}"#
                    let request = "POST /internal/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
                    guard (try? socket.send(request)) != nil,
                          let response = try? socket.receive(until: Self.isCompleteResponse),
                          response.starts(with: Array("HTTP/1.1 201".utf8)) else { return }
                    created.add(1, ordering: .relaxed)
                    n += senders
                }
            }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: seconds + 10) { finished.load(ordering: .relaxed) == senders })
        let elapsed = Date().timeIntervalSince(started)
        let total = created.load(ordering: .relaxed)
        XCTAssertTrue(waitUntil(timeoutSeconds: 10) { delivered.load(ordering: .relaxed) >= total })
        let sorted = latencies.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        print(String(format: "notifications bench: %d users online, %d senders (keep-alive), %.1f s: %d created (%.0f/s), %d delivered; create→deliver p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                     users, senders, elapsed, total, Double(total) / elapsed, sorted.count, percentile(0.5), percentile(0.99),
                     percentile(1.0)))
        XCTAssertEqual(sorted.count, total)
        for session in sessions { loop.execute { session.value.close(code: 1000, reason: "") } }
    }

    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func sentAt(_ frame: String) -> UInt64? {
        guard let range = frame.range(of: #""data":{"t":"#) else { return nil }
        return UInt64(frame[range.upperBound...].prefix { $0.isNumber })
    }

    /// Head and a body of its Content-Length.
    static func isCompleteResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<headEnd.lowerBound].lowercased()
        guard let lengthLine = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return true }
        return text[headEnd.upperBound...].utf8.count >= length
    }
}
