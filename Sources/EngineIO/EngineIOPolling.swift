import EventLoop
import HTTP

/// What a socket needs from a transport. Implementations are confined to the socket's loop.
protocol EngineIOTransport: AnyObject {
    var name: String { get }
    /// Strong, and set to nil by the socket when it lets the transport go (upgrade, close): a weak reference would
    /// cost the socket a side table for its life.
    var socket: EngineIOSocket? { get set }
    /// Can take a `send` now (the official `writable`): polling while a GET waits; websocket while open.
    var canSend: Bool { get }
    /// Backpressure for producers.
    var isWritable: Bool { get }
    func send(_ packets: [EngineIOOutgoing])
    /// The same for one packet (nothing else queued), without an array for it.
    func send(_ packet: EngineIOOutgoing)
    /// Writes one text message (`4` then what `body` appends) straight into the transport's outgoing frame when it can
    /// take it now, on this loop; returns its payload size, or nil (nothing done, `body` not called): queue it instead.
    func sendText(writing body: (inout [UInt8]) -> Void) -> Int?
    /// Closes (polling: with a close packet, now or in the next poll); `done` runs once it is closed.
    func close(_ done: @escaping () -> Void)
    /// The next `close` does not wait for a poll.
    func discard()
    /// Replaced by an upgrade: a poll in flight is answered with a noop; nothing else is sent.
    func retire()
    /// The client sent a close packet.
    func onPeerClose()
}

/// A polling request being handled on the socket's loop, answered on its connection's loop.
struct PollingRequest {
    let context: HTTPRequestContext
    /// The request arrived on another loop than the socket's: answer through `respondFromAnyThread`.
    let remote: Bool

    var request: HTTPRequest { context.request }

    func respond(_ response: HTTPResponse) {
        if remote { context.respondFromAnyThread(response) } else { context.respond(response) }
    }
}

/// HTTP long-polling (the official `Polling`): one waiting GET per session, POSTs decoded into packets.
final class EngineIOPollingTransport: EngineIOTransport {
    var name: String { "polling" }
    var socket: EngineIOSocket?
    private let loop: EventLoop
    private let configuration: EngineIOConfiguration
    private var pendingGet: PollingRequest?
    private var isClosed = false
    private var discarded = false
    /// A graceful close waiting for the next poll (the official `shouldClose`), bounded by `closeTimer`.
    private var pendingClose: (() -> Void)?
    private var closeTimer: LoopTimer?
    static let closeTimeoutMs: UInt64 = 30_000

    init(loop: EventLoop, configuration: EngineIOConfiguration) {
        self.loop = loop
        self.configuration = configuration
    }

    var canSend: Bool { pendingGet != nil && !isClosed }
    var isWritable: Bool { !isClosed }

    /// A poll's answer gathers the queued packets: nothing is written directly.
    func sendText(writing body: (inout [UInt8]) -> Void) -> Int? { nil }

    func onRequest(_ request: PollingRequest) {
        switch request.request.method {
        case "GET": onPoll(request)
        case "POST": onData(request)
        default: request.respond(HTTPResponse(status: 500))
        }
    }

    private func onPoll(_ request: PollingRequest) {
        if pendingGet != nil {
            // "overlap from client": the session ends (the waiting poll gets the close packet), this one gets 400.
            socket?.transportDidClose(self, error: true)
            request.respond(HTTPResponse(status: 400))
            return
        }
        guard !isClosed else {
            request.respond(EngineIOError.unknownSid.response)
            return
        }
        pendingGet = request
        socket?.transportReady(self)
        if canSend && pendingClose != nil { send([.packet(.noop)]) }
    }

    private func onData(_ request: PollingRequest) {
        let body = request.request.body
        if request.request.headers["Content-Type"] == "application/octet-stream" {
            // v4 payloads are text only ("invalid content").
            request.respond(HTTPResponse(status: 400))
            socket?.transportDidClose(self, error: true)
            return
        }
        if body.count > configuration.maxPayload {
            var response = HTTPResponse(status: 413)
            response.headers.add("Connection", "close")
            request.respond(response)
            socket?.transportDidClose(self, error: true)
            return
        }
        let (packets, failed) = EngineIOCodec.decodePayload(body)
        var sawClose = false
        for packet in packets {
            if case .close = packet {
                sawClose = true
                onPeerClose()
                break
            }
            socket?.transport(self, didReceive: packet)
        }
        if failed && !sawClose { socket?.transport(self, didReceive: nil) }
        request.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/html", "Cache-Control": "no-store"],
                                     body: Self.ok))
    }

    private static let ok: [UInt8] = Array("ok".utf8)

    func send(_ packet: EngineIOOutgoing) { send([packet]) }

    func send(_ packets: [EngineIOOutgoing]) {
        guard let get = pendingGet, !isClosed else { return }
        pendingGet = nil
        var out: [UInt8] = []
        for packet in packets {
            if !out.isEmpty { out.append(EngineIOCodec.separator) }
            switch packet {
            case .packet(let p): EngineIOCodec.appendPollingPacket(p, to: &out)
            case .prepared(let prepared): out.append(contentsOf: prepared.pollingEncoding)
            }
        }
        let closing = pendingClose
        if closing != nil {
            if !out.isEmpty { out.append(EngineIOCodec.separator) }
            EngineIOCodec.appendPollingPacket(.close, to: &out)
            finishClose()
        }
        var response = HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; charset=UTF-8",
                                                           "Cache-Control": "no-store"], body: out)
        if !configuration.httpCompression { response.headers.add("Content-Encoding", "identity") }
        get.respond(response)
        closing?()
    }

    func close(_ done: @escaping () -> Void) {
        guard !isClosed, pendingClose == nil else { return }
        if pendingGet != nil {
            send([.packet(.close)])
            isClosed = true
            done()
        } else if discarded || socket == nil || socket?.readyState == .closed {
            // Nobody can poll any more (the sid is gone) or we were told not to wait.
            isClosed = true
            done()
        } else {
            pendingClose = done
            let timer = LoopTimer { [weak self] in
                guard let self, let done = self.pendingClose else { return }
                self.finishClose()
                done()
            }
            closeTimer = timer
            loop.schedule(timer, afterMs: Self.closeTimeoutMs)
        }
    }

    private func finishClose() {
        pendingClose = nil
        isClosed = true
        if let closeTimer, closeTimer.isArmed { loop.cancel(closeTimer) }
        closeTimer = nil
    }

    func discard() { discarded = true }

    func retire() {
        if pendingGet != nil { send([.packet(.noop)]) }
        finishClose()
    }

    func onPeerClose() {
        // Complete the waiting poll, then the session ends with "transport close".
        if pendingGet != nil { send([.packet(.noop)]) }
        finishClose()
        socket?.transportDidClose(self, error: false)
    }
}
