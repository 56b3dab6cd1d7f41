import CCurl
import EventLoop
import GatewayProtocol

/// A request accepted by the client, not yet a transfer.
final class PendingRequest {
    let request: OutboundRequest
    /// Loop-clock millisecond by which the whole exchange must be done, queueing included.
    let deadlineMs: UInt64
    let continuation: CheckedContinuation<OutboundResult, Never>
    /// While queued: fires at the deadline, so a request stuck behind slow ones fails on time, not when a slot frees.
    var expiry: LoopTimer?
    /// Answered while still in the queue (expired); skipped when its turn comes.
    var answered = false

    init(request: OutboundRequest, deadlineMs: UInt64, continuation: CheckedContinuation<OutboundResult, Never>) {
        self.request = request
        self.deadlineMs = deadlineMs
        self.continuation = continuation
    }

    /// Also breaks the cycle request -> timer -> closure -> request.
    func disarmExpiry(on loop: EventLoop) {
        guard let expiry else { return }
        loop.cancel(expiry)
        self.expiry = nil
    }

    var label: String { "\(request.method) \(RequestLabel.redactedURL(request.url))" }
}

/// One curl multi handle driven by one event loop: curl says which sockets and which timeout it wants watched
/// (socket and timer callbacks), the loop says when they are ready (`curl_multi_socket_action`), and finished transfers
/// are read back with `curl_multi_info_read`. Everything here runs on the loop's thread; curl never blocks it (its DNS
/// resolver runs on its own threads and reports through a socket like any other).
final class CurlMultiDriver {
    private let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private let settings: GatewayConfiguration.HTTPClientSettings
    private let gate: AdmissionGate

    /// Transfers attached to the multi handle, by easy handle.
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var waiting = FIFOQueue<PendingRequest>()
    /// Entries of `waiting` answered by their expiry. They gave their admission place back, so without pruning the
    /// queue could grow past `maxQueued` while every slot is held by a slow transfer.
    private var expiredInQueue = 0
    private var watches: [Int32: CurlSocketWatch] = [:]
    private lazy var timer = LoopTimer { [unowned self] in self.socketAction(CCURL_SOCKET_TIMEOUT, events: 0) }
    private var closed = false

    init(loop: EventLoop, settings: GatewayConfiguration.HTTPClientSettings, gate: AdmissionGate) throws(CurlHTTPClientError) {
        try CurlGlobal.initialize()
        guard let multi = curl_multi_init() else { throw CurlHTTPClientError("curl_multi_init failed (out of memory?)") }
        self.loop = loop
        self.multi = multi
        self.settings = settings
        self.gate = gate
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socket_callback(multi, curlSocketCallback)
        _ = ccurl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_timer_callback(multi, curlTimerCallback)
        _ = ccurl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, me)
        // curl's default cache keeps 4 idle connections per easy handle still attached, so the last transfers of a
        // burst close connections the next burst needs again; keep as many as may run at once.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, settings.maxConcurrent)
    }

    // MARK: Requests

    func enqueue(_ pending: PendingRequest) {
        guard !closed else {
            finish(pending.continuation, .failure(CurlHTTPClient.closedBeforeSending(pending.request)))
            return
        }
        if running.count < settings.maxConcurrent {
            start(pending)
        } else {
            pending.expiry = loop.scheduleTimer(afterMs: pending.deadlineMs - loop.nowMs) { [unowned self, pending] in
                pending.answered = true
                pending.expiry = nil
                self.finish(pending.continuation, .failure(self.queueTimeout(pending)))
                self.pruneExpired()
            }
            waiting.append(pending)
        }
    }

    private func pruneExpired() {
        expiredInQueue += 1
        guard expiredInQueue * 2 >= waiting.count else { return }
        waiting.removeAll { $0.answered }
        expiredInQueue = 0
    }

    private func queueTimeout(_ pending: PendingRequest) -> OutboundHTTPError {
        OutboundHTTPError(.timeout, "\(pending.label): timed out waiting for a free transfer slot "
                          + "(httpClient.maxConcurrent = \(settings.maxConcurrent)); nothing was sent")
    }

    private func start(_ pending: PendingRequest) {
        pending.disarmExpiry(on: loop)
        let now = loop.nowMs
        guard pending.deadlineMs > now else {
            finish(pending.continuation, .failure(queueTimeout(pending)))
            return
        }
        let transfer: CurlTransfer
        do {
            transfer = try CurlTransfer(pending.request, settings: settings, timeoutMs: Int(pending.deadlineMs - now),
                                        continuation: pending.continuation)
        } catch {
            finish(pending.continuation, .failure(error))
            return
        }
        let code = curl_multi_add_handle(multi, transfer.easy)
        guard code == CURLM_OK else {
            transfer.release()
            finish(pending.continuation, .failure(OutboundHTTPError(
                .transfer, "\(transfer.label): curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))")))
            return
        }
        running[transfer.easy] = transfer
    }

    private func finish(_ continuation: CheckedContinuation<OutboundResult, Never>, _ result: OutboundResult) {
        gate.release()
        continuation.resume(returning: result)
    }

    // MARK: curl's callbacks (called during curl_multi_* calls, on the loop)

    fileprivate func watch(_ fd: Int32, what: Int32) {
        if what == CCURL_POLL_REMOVE {
            if watches.removeValue(forKey: fd) != nil { loop.unregister(fd) }
            return
        }
        var interest: IOInterest = []
        if what == CCURL_POLL_IN || what == CCURL_POLL_INOUT { interest.insert(.readable) }
        if what == CCURL_POLL_OUT || what == CCURL_POLL_INOUT { interest.insert(.writable) }
        if watches[fd] != nil {
            loop.setInterest(fd, interest)
            return
        }
        let watch = CurlSocketWatch(fd: fd, driver: self)
        do {
            try loop.register(fd, interest: interest, handler: watch)
            watches[fd] = watch
        } catch {
            // Not watched means never woken: the transfer would only end at its timeout. Telling curl the socket
            // errored makes it fail now, with curl's own message.
            Log.error("http_client_watch_failed", ["fd": Int(fd), "error": error.description])
            loop.scheduleTimer(afterMs: 0) { [unowned self] in self.socketAction(fd, events: CCURL_CSELECT_ERR) }
        }
    }

    fileprivate func timerChanged(_ timeoutMs: Int) {
        if timeoutMs < 0 {
            loop.cancel(timer)
        } else {
            // Even 0 goes through the loop: curl forbids calling socket_action from inside its own callback.
            loop.schedule(timer, afterMs: UInt64(timeoutMs))
        }
    }

    // MARK: Readiness

    func socketAction(_ fd: Int32, events: Int32) {
        guard !closed else { return }
        var stillRunning: Int32 = 0
        _ = curl_multi_socket_action(multi, fd, events, &stillRunning)
        collectFinished()
    }

    private func collectFinished() {
        var finished: [(CurlTransfer, CURLcode)] = []
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            let result = ccurl_message_done_result(message)
            guard result >= 0, let easy = message.pointee.easy_handle, let transfer = running[easy] else { continue }
            finished.append((transfer, CURLcode(UInt32(result))))
        }
        // The messages point into curl's memory, which removing a handle frees: read them all first.
        for (transfer, code) in finished {
            running[transfer.easy] = nil
            curl_multi_remove_handle(multi, transfer.easy)
            let outcome = transfer.outcome(code)
            transfer.release()
            finish(transfer.continuation, outcome)
        }
        startWaiting()
    }

    private func startWaiting() {
        while running.count < settings.maxConcurrent, let next = waiting.popFirst() {
            if next.answered {
                expiredInQueue -= 1
            } else {
                start(next)
            }
        }
    }

    // MARK: Closing

    /// Fails everything pending, forgets every socket and timer, frees curl's handles. Idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        for transfer in running.values {
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.release()
            finish(transfer.continuation, .failure(OutboundHTTPError(
                .transfer, "\(transfer.label): the HTTP client was closed while the request was in flight")))
        }
        running.removeAll()
        while let pending = waiting.popFirst() {
            guard !pending.answered else { continue }
            pending.disarmExpiry(on: loop)
            finish(pending.continuation, .failure(CurlHTTPClient.closedBeforeSending(pending.request)))
        }
        for fd in watches.keys { loop.unregister(fd) }
        watches.removeAll()
        loop.cancel(timer)
        // curl closes its cached connections during cleanup and would report those sockets to a loop that no longer
        // watches them.
        _ = ccurl_multi_setopt_socket_callback(multi, nil)
        _ = ccurl_multi_setopt_timer_callback(multi, nil)
        curl_multi_cleanup(multi)
    }
}

/// Tells the driver that one of curl's sockets is ready.
final class CurlSocketWatch: IOHandler {
    private let fd: Int32
    private unowned let driver: CurlMultiDriver

    init(fd: Int32, driver: CurlMultiDriver) {
        self.fd = fd
        self.driver = driver
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        var events: Int32 = 0
        if readable { events |= CCURL_CSELECT_IN }
        if writable { events |= CCURL_CSELECT_OUT }
        if hangup { events |= CCURL_CSELECT_ERR }
        driver.socketAction(fd, events: events)
    }
}

private let curlSocketCallback: ccurl_socket_callback = { _, fd, what, clientp, _ in
    Unmanaged<CurlMultiDriver>.fromOpaque(clientp!).takeUnretainedValue().watch(fd, what: what)
    return 0
}

private let curlTimerCallback: ccurl_timer_callback = { _, timeoutMs, clientp in
    Unmanaged<CurlMultiDriver>.fromOpaque(clientp!).takeUnretainedValue().timerChanged(timeoutMs)
    return 0
}
