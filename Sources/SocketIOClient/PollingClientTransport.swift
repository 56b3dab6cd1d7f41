import EngineIO
import EventLoop

/// Engine.IO long-polling: a GET always outstanding on one keep-alive connection, POSTs of everything queued on a second one
/// (one connection cannot carry both: the POST's answer would wait behind the held GET).
final class PollingClientTransport: ClientTransport {
    let target: String
    var sid: String? { didSet { flush() } }
    private let receiver: HTTPClientConnection
    private let sender: HTTPClientConnection
    private var outgoing: [EngineIOPacket] = []
    private var getInFlight = false
    /// Set while an upgrade waits for the requests in flight to finish.
    private var whenPaused: (() -> Void)?
    private var closed = false

    init(endpoint: ClientEndpoint, target: String, tls: TLSClientContext?, loop: EventLoop) {
        self.target = target
        receiver = HTTPClientConnection(endpoint: endpoint, tls: tls, loop: loop)
        sender = HTTPClientConnection(endpoint: endpoint, tls: tls, loop: loop)
        super.init()
        receiver.onClose = { [weak self] reason in guard let self else { return }; reportClose(reason) }
        sender.onClose = { [weak self] reason in guard let self else { return }; reportClose(reason) }
    }

    private var requestTarget: String { sid.map { target + "&sid=" + ClientEndpoint.percentEncoded($0) } ?? target }

    override func start() { poll() }

    private func poll() {
        guard !closed else { return }
        if whenPaused != nil { return checkPaused() }
        getInFlight = true
        receiver.request(method: "GET", target: requestTarget) { [self] response in
            getInFlight = false
            guard response.status == 200 else { return reportClose("transport error: polling answered \(response.status)") }
            let (packets, failed) = EngineIOCodec.decodePayload(response.body)
            for packet in packets where !closed { onPacket?(packet) }
            if failed { return reportClose("parse error") }
            poll()
        }
    }

    override func send(_ packet: EngineIOPacket) {
        guard !closed else { return }
        outgoing.append(packet)
        flush()
    }

    private func flush() {
        guard !sender.isBusy, !outgoing.isEmpty, sid != nil, whenPaused == nil else { return }
        let body = EngineIOCodec.encodePayload(outgoing)
        outgoing = []
        sender.request(method: "POST", target: requestTarget, body: body) { [self] response in
            guard response.status == 200 else { return reportClose("transport error: POST answered \(response.status)") }
            if whenPaused != nil { checkPaused() } else { flush() }
        }
    }

    /// For an upgrade: lets the GET and POST in flight finish (their packets are delivered), starts no new request, then
    /// calls `done`. What is sent meanwhile waits in the queue for `retire()`.
    func pause(_ done: @escaping () -> Void) {
        whenPaused = done
        checkPaused()
    }

    private func checkPaused() {
        guard let done = whenPaused, !getInFlight, !sender.isBusy else { return }
        whenPaused = nil
        closed = true
        done()
    }

    /// Upgraded away: closes the connections and hands back what was never posted.
    func retire() -> [EngineIOPacket] {
        let unsent = outgoing
        outgoing = []
        close()
        return unsent
    }

    override func close() {
        closed = true
        onPacket = nil
        onClose = nil
        receiver.close()
        sender.close()
    }
}
