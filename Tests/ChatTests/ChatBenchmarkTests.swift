import Chat
import EventLoop
import Foundation
import Gateway
import GatewayProtocol
import GatewayTestKit
import Synchronization
import TestSupport
import WebSocket
import XCTest

/// Opt-in (`CHAT_BENCH=1`): chat messages per second end to end — sent, saved, and delivered to every socket of a
/// 100-member room — and the latency from a send until the last member has it. Senders keep one message in flight each
/// (a socket's events are handled in order), so the load is closed-loop; the clients run in this process on their own
/// event loop, which costs the gateway CPU on a 2-core machine: the numbers are a floor.
final class ChatBenchmarkTests: XCTestCase {
    /// One member's socket: Socket.IO spoken over the project's WebSocket client, timestamps taken in its callbacks.
    final class Member: @unchecked Sendable {
        let index: Int
        let loop: EventLoop
        var session: WebSocketSession?
        var onReady: (() -> Void)?
        var onMessage: ((Int) -> Void)?
        init(index: Int, loop: EventLoop) {
            self.index = index
            self.loop = loop
        }

        func connect(port: Int, token: String) {
            WebSocketClient.connect(host: "127.0.0.1", port: port, path: "/socket.io/?EIO=4&transport=websocket", on: loop) { result in
                guard case .success(let session) = result else { return }
                self.session = session
                session.onText = { [unowned self] text in self.received(text) }
                _ = session.sendText("40{\"token\":\"\(token)\"}")
            }
        }

        private func received(_ text: String) {
            if text == "2" { _ = session?.sendText("3"); return }
            if text.hasPrefix("40{") {
                _ = session?.sendText(#"420["joinChat",{"chatRoomId":"bench"}]"#)
            } else if text.hasPrefix("430[") {
                onReady?()
            } else if text.hasPrefix(#"42["newMessage""#), let range = text.range(of: #""message":"#) {
                let digits = text[range.upperBound...].dropFirst().prefix { $0.isNumber }
                if let sequence = Int(digits) { onMessage?(sequence) }
            }
        }

        func send(_ sequence: Int) {
            _ = session?.sendText(#"42["sendMessage",{"chatRoomId":"bench","message":"\#(sequence)"}]"#)
        }
    }

    /// Per message: when it was sent and how many members have it; touched on the client loop only.
    final class BenchState: @unchecked Sendable {
        var sentAt: [UInt64]
        var sender: [Int]
        var deliveries: [Int]
        var latencies: [Double] = []
        var nextSequence = 0
        init(messageCount: Int) {
            sentAt = [UInt64](repeating: 0, count: messageCount)
            deliveries = [Int](repeating: 0, count: messageCount)
            sender = [Int](repeating: -1, count: messageCount)
        }

        func sendNext(from member: Member) {
            guard nextSequence < sentAt.count else { return }
            let sequence = nextSequence
            nextSequence += 1
            sentAt[sequence] = DispatchTime.now().uptimeNanoseconds
            sender[sequence] = member.index
            member.send(sequence)
        }
    }

    func testMessagesPerSecondToAHundredMemberRoom() throws {
        guard ProcessInfo.processInfo.environment["CHAT_BENCH"] == "1" else { throw XCTSkip("set CHAT_BENCH=1 to run") }
        let memberCount = 100, senderCount = Int(ProcessInfo.processInfo.environment["CHAT_BENCH_SENDERS"] ?? "") ?? 8
        let messageCount = Int(ProcessInfo.processInfo.environment["CHAT_BENCH_MESSAGES"] ?? "") ?? 2000
        let gateway = try ModuleTestGateway(modules: [ChatModule.self]) { configuration in
            configuration.modules["chat"] = .init(raw: ["rateLimit": .object(["messagesPerSecond": .int(1_000_000),
                                                                               "burst": .int(1_000_000)])])
        }
        defer { gateway.stop() }
        let members = (0..<memberCount).map { "m\($0)" }
        let list = members.map { "\"\($0)\"" }.joined(separator: ",")
        XCTAssertEqual(try gateway.request("POST", "/internal/chat/rooms", token: ModuleTestGateway.token(sub: "b", role: "service"),
                                           body: "{\"chatRoomId\":\"bench\",\"members\":[\(list)]}").status, 201)

        let group = try EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        let loop = group.loops[0]
        let ready = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let state = BenchState(messageCount: messageCount)
        let sockets = (0..<memberCount).map { Member(index: $0, loop: loop) }
        for member in sockets {
            member.onReady = { ready.add(1, ordering: .relaxed) }
            member.onMessage = { sequence in
                state.deliveries[sequence] += 1
                if state.deliveries[sequence] == memberCount {
                    state.latencies.append(Double(DispatchTime.now().uptimeNanoseconds - state.sentAt[sequence]) / 1e6)
                    finished.add(1, ordering: .sequentiallyConsistent)
                }
                // A sender sends its next message once its own is back.
                if state.sender[sequence] == member.index { state.sendNext(from: member) }
            }
            let token = ModuleTestGateway.token(sub: members[member.index])
            let port = gateway.port
            loop.execute { member.connect(port: port, token: token) }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 30) { ready.load(ordering: .relaxed) == memberCount })

        let started = DispatchTime.now().uptimeNanoseconds
        loop.execute { for member in sockets.prefix(senderCount) { state.sendNext(from: member) } }
        XCTAssertTrue(waitUntil(timeoutSeconds: 300) { finished.load(ordering: .relaxed) == messageCount })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let copied = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var sorted: [Double] = []
        loop.execute { sorted = state.latencies.sorted(); copied.signal() }
        copied.wait()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let line = String(format: "chat bench: %d messages to %d members by %d senders in %.2f s: %.0f messages/s (%.0f deliveries/s); send→last member p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                          messageCount, memberCount, senderCount, seconds, Double(messageCount) / seconds,
                          Double(messageCount * memberCount) / seconds, percentile(0.5), percentile(0.99), sorted.last ?? 0)
        print(line)
        for member in sockets { loop.execute { member.session?.close(code: 1000, reason: "") } }
    }
}
