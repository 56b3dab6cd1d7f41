import EventLoop
import Foundation
import HTTP
import Synchronization
import TestSupport
import WebSocket

/// Socket.IO spoken by hand over the project's WebSocket client: the tests see the exact frames the gateway writes
/// (`40{"sid":…}`, `431[…]`, `44{…}`). Engine.IO pings are answered; everything else is queued for the test to read.
public final class RawSocketIOClient: @unchecked Sendable {
    public enum Frame: Equatable, CustomStringConvertible {
        case text(String)
        case binary([UInt8])
        public var description: String {
            switch self {
            case .text(let t): return t
            case .binary(let b): return "<binary \(b.count)>"
            }
        }
    }

    public let loop: EventLoop
    private let session = Mutex<LoopBound<WebSocketSession>?>(nil)
    private let frames = Mutex<[Frame]>([])
    public let closed = Atomic<Bool>(false)

    private init(loop: EventLoop) { self.loop = loop }

    /// Connects at the Engine.IO level and reads the open packet.
    public static func connect(port: Int, on loop: EventLoop, path: String = "/socket.io/") throws -> RawSocketIOClient {
        let client = RawSocketIOClient(loop: loop)
        let outcome = Mutex<Result<Void, WebSocketClientError>?>(nil)
        loop.execute {
            WebSocketClient.connect(host: "127.0.0.1", port: port, path: path + "?EIO=4&transport=websocket", on: loop) { result in
                switch result {
                case .success(let session):
                    session.onText = { [weak session] text in
                        if text == "2" { _ = session?.sendText("3"); return }
                        client.frames.withLock { $0.append(.text(text)) }
                    }
                    session.onBinary = { bytes in client.frames.withLock { $0.append(.binary(bytes)) } }
                    session.onClose = { _ in client.closed.store(true, ordering: .relaxed) }
                    client.session.withLock { $0 = LoopBound(session, loop: loop) }
                    outcome.withLock { $0 = .success(()) }
                case .failure(let error):
                    outcome.withLock { $0 = .failure(error) }
                }
            }
        }
        guard waitUntil(timeoutSeconds: 5, { outcome.withLock { $0 != nil } }) else { throw TestError("connect timed out") }
        if case .failure(let error) = outcome.withLock({ $0! }) { throw error }
        guard case .text(let open)? = client.next(), open.hasPrefix("0{") else { throw TestError("no Engine.IO open packet") }
        return client
    }

    /// Connects and joins `namespace` with `auth`; returns the server's answer (`40{"sid":…}` or `44{…}`).
    public static func join(port: Int, on loop: EventLoop, auth: String, namespace: String = "/") throws -> (RawSocketIOClient, String) {
        let client = try connect(port: port, on: loop)
        client.send("40" + (namespace == "/" ? "" : namespace + ",") + auth)
        guard let answer = client.nextText(where: { $0.hasPrefix("40") || $0.hasPrefix("44") }) else {
            throw TestError("no CONNECT answer")
        }
        return (client, answer)
    }

    public func send(_ text: String) {
        guard let bound = session.withLock({ $0 }) else { return }
        loop.execute { _ = bound.value.sendText(text) }
    }

    public func sendBinary(_ bytes: [UInt8]) {
        guard let bound = session.withLock({ $0 }) else { return }
        loop.execute { _ = bound.value.sendBinary(bytes) }
    }

    public func close() {
        guard let bound = session.withLock({ $0 }) else { return }
        loop.execute { bound.value.close(code: 1000, reason: "") }
    }

    public func next(timeoutSeconds: Double = 5) -> Frame? {
        guard waitUntil(timeoutSeconds: timeoutSeconds, { frames.withLock { !$0.isEmpty } }) else { return nil }
        return frames.withLock { $0.removeFirst() }
    }

    /// The first text frame matching `predicate`; frames before it are dropped.
    public func nextText(timeoutSeconds: Double = 5, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            guard let frame = next(timeoutSeconds: deadline.timeIntervalSinceNow) else { return nil }
            if case .text(let text) = frame, predicate(text) { return text }
        }
        return nil
    }

    /// The next event named `event` (`42["event",…]`), as its JSON array text.
    public func nextEvent(_ event: String, timeoutSeconds: Double = 5) -> String? {
        nextText(timeoutSeconds: timeoutSeconds) { $0.hasPrefix("42[\"\(event)\"") }.map { String($0.dropFirst(2)) }
    }

    /// Sends `event` with `json` arguments (text after the name) and ack id `id`; returns the ack's JSON array text.
    public func emitWithAck(_ event: String, _ json: String = "", id: Int, timeoutSeconds: Double = 5) -> String? {
        send("42\(id)[\"\(event)\"\(json.isEmpty ? "" : "," + json)]")
        return nextText(timeoutSeconds: timeoutSeconds) { $0.hasPrefix("43\(id)[") }.map { String($0.dropFirst(2 + String(id).count)) }
    }

    /// Frames received so far that nobody read (drains them).
    public func drain() -> [Frame] { frames.withLock { let all = $0; $0.removeAll(); return all } }
}
