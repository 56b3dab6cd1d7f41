import EventLoop

/// The HTTP side of one connection: parses requests, routes them, and writes responses strictly in request order
/// (pipelining), with the timeouts and limits of `HTTPServerConfiguration`.
final class HTTPServerConnection: ConnectionDelegate {
    /// Strong: the server outlives its connections, and an unowned reference costs a runtime check on every use.
    let server: HTTPServer
    let connection: Connection
    let isSecure: Bool
    private var parser: HTTPRequestParser
    private let resources: HTTPLoopResources

    /// Responses wait here until every earlier request has been answered.
    private var nextSequence = 0
    private var nextToWrite = 0
    /// A nil head marks a parse-error response (written as is, then the connection closes).
    private var ready: [Int: (HTTPResponse, HTTPRequestHead?)] = [:]
    private var inFlight = 0
    private var closeAfterWrites = false
    /// False once no further request may be read: after a request that ends the connection (`Connection: close`,
    /// HTTP/1.0 without keep-alive; RFC 9112 §9.6 forbids processing what was pipelined behind it) or a parse error.
    /// Responses to earlier requests still go out, in order; bytes that arrive meanwhile are discarded.
    private var acceptingRequests = true
    /// The sequence number of a request whose `100 Continue` waits for the responses to earlier pipelined requests:
    /// sent at once, it would overtake them and be taken for the answer to the first.
    private var continuePendingFor: Int?
    private var draining = false
    private var upgraded = false
    private var peerHalfClosed = false

    private enum TimerPurpose { case none, header, idle, body }
    private var timerPurpose = TimerPurpose.none
    private lazy var timer = LoopTimer { [unowned self] in self.timerFired() }

    init(server: HTTPServer, connection: Connection, isSecure: Bool) {
        self.server = server
        self.connection = connection
        self.isSecure = isSecure
        self.parser = HTTPRequestParser(limits: server.configuration.limits)
        self.resources = server.perLoop[connection.loop.index]
    }

    func connectionDidBecomeActive(_ connection: Connection) {
        resources.add(self)
        if resources.draining { beginDrain(); return }
        // A client that connects and never sends a byte gets the header timeout too, then a silent close.
        arm(.header, server.configuration.headerTimeoutMs)
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard !closeAfterWrites && acceptingRequests else { return }
        let wasIdle = !parser.hasPartialRequest
        parser.append(bytes)
        if wasIdle && parser.hasPartialRequest && timerPurpose != .header {
            arm(.header, server.configuration.headerTimeoutMs)
        } else if timerPurpose == .body || timerPurpose == .idle {
            arm(.body, server.configuration.idleTimeoutMs)
        }
        processEvents()
    }

    func connectionWritabilityDidChange(_ connection: Connection) {
        if connection.isWritable { processEvents() }
    }

    /// A client may half-close right after its request (`shutdown(SHUT_WR)`); it still wants the answer.
    func connectionPeerDidHalfClose(_ connection: Connection) -> Bool {
        guard inFlight > 0 else { return false }
        peerHalfClosed = true
        return true
    }

    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {
        disarm()
        if !upgraded { resources.remove(self) }
    }

    // MARK: Requests

    private func processEvents() {
        var needsMoreBytes = false
        // `connection.isWritable`: while the client is not reading our responses, stop taking its already-buffered
        // pipelined requests too (the connection itself stops reading from the socket); otherwise each one would
        // queue another response until the buffer limit closes the connection. Resumed by
        // `connectionWritabilityDidChange`.
        while acceptingRequests && !closeAfterWrites && !upgraded && inFlight < server.configuration.maxPipelinedRequests
                && connection.isOpen && connection.isWritable {
            let event: HTTPParserEvent?
            do {
                event = try parser.nextEvent()
            } catch {
                fail(status: error.status, message: error.reason)
                return
            }
            guard let event else { needsMoreBytes = true; break }
            switch event {
            case .head(let head):
                arm(.body, server.configuration.idleTimeoutMs)
                if head.expectsContinue && !head.isUpgrade {
                    if inFlight == 0 { writeContinue() } else { continuePendingFor = nextSequence }
                }
            case .request(let request):
                disarm()
                if !request.head.keepAlive { acceptingRequests = false }
                handle(request)
            }
        }
        if inFlight >= server.configuration.maxPipelinedRequests { connection.pauseReading() }
        guard acceptingRequests && !closeAfterWrites && !upgraded && connection.isOpen else { return }
        if inFlight == 0 && !parser.hasPartialRequest {
            if draining { connection.close(); return }
            arm(.idle, server.configuration.idleTimeoutMs)
        } else if needsMoreBytes && parser.hasPartialRequest && timerPurpose == .none {
            // The start of a request that arrived behind a complete one (pipelined): the `.request` of the one before
            // disarmed the timer, and nothing else would re-arm it, so a client stopping half-way through would hold
            // the connection forever.
            arm(parser.isReadingBody ? .body : .header,
                parser.isReadingBody ? server.configuration.idleTimeoutMs : server.configuration.headerTimeoutMs)
        }
    }

    private func writeContinue() {
        connection.write(HTTPResponseEncoder.continueBytes)
        resources.notePeak(bufferedBytes: connection.bufferedBytes)
    }

    private func handle(_ request: HTTPRequest) {
        let sequence = nextSequence
        nextSequence += 1
        inFlight += 1
        if request.head.isUpgrade, let upgrade = server.upgradeHandler, nextToWrite == sequence {
            let remaining = parser.takeRemainingBytes()
            upgraded = true
            disarm()
            resources.remove(self)
            if upgrade(request, connection, remaining) { return }
            upgraded = false
            resources.add(self)
        }
        if request.method == "OPTIONS", let cors = server.configuration.cors,
           let preflight = cors.preflightResponse(for: request.head) {
            enqueue(preflight, sequence: sequence, head: request.head)
            return
        }
        switch server.match(method: request.method, path: request.path) {
        case .matched(let match):
            let context = HTTPRequestContext(request: request, parameters: match.parameters,
                                             remoteAddress: connection.remoteAddress, isSecure: isSecure,
                                             loop: connection.loop, sequence: sequence, connection: self)
            match.handler(context)
        case .methodNotAllowed(let allowed) where server.fallbackHandler == nil:
            var response = HTTPResponse.error(405, "\(request.method) is not allowed on \(request.path)")
            response.headers.set("Allow", allowed.joined(separator: ", "))
            enqueue(response, sequence: sequence, head: request.head)
        default:
            if let fallback = server.fallbackHandler {
                fallback(HTTPRequestContext(request: request, parameters: [:], remoteAddress: connection.remoteAddress,
                                            isSecure: isSecure, loop: connection.loop, sequence: sequence, connection: self))
            } else {
                enqueue(.error(404, "no route for \(request.method) \(request.path)"), sequence: sequence, head: request.head)
            }
        }
    }

    // MARK: Responses

    func deliver(_ response: HTTPResponse, for context: HTTPRequestContext) {
        enqueue(response, sequence: context.sequence, head: context.request.head)
    }

    private func enqueue(_ response: HTTPResponse, sequence: Int, head: HTTPRequestHead?) {
        guard connection.isOpen, !upgraded else { return }
        if sequence == nextToWrite {
            // The common case (no earlier request still pending) skips the reorder table.
            if !writeNext(response, head) { return }
        } else {
            ready[sequence] = (response, head)
        }
        while !ready.isEmpty, let (response, head) = ready.removeValue(forKey: nextToWrite) {
            if !writeNext(response, head) { return }
        }
        connection.resumeReading()
        processEvents()
    }

    /// Writes the response that is next in order; false when the connection is now closing.
    private func writeNext(_ response: HTTPResponse, _ head: HTTPRequestHead?) -> Bool {
        nextToWrite += 1
        inFlight -= 1
        if let head { write(response, for: head) } else { writeError(response) }
        if closeAfterWrites { return false }
        if peerHalfClosed && inFlight == 0 {
            closeAfterWrites = true
            disarm()
            connection.close()
            return false
        }
        if continuePendingFor == nextToWrite {
            continuePendingFor = nil
            writeContinue()
        }
        return true
    }

    private func write(_ original: HTTPResponse, for head: HTTPRequestHead) {
        var response = original
        let keepAlive = head.keepAlive && !draining && !(response.headers["Connection"]?.caseInsensitiveASCIIEquals("close") ?? false)
        server.configuration.cors?.apply(to: &response, for: head)
        if isSecure && server.configuration.hstsMaxAgeSeconds > 0 && response.headers["Strict-Transport-Security"] == nil {
            response.headers.add("Strict-Transport-Security", "max-age=\(server.configuration.hstsMaxAgeSeconds); includeSubDomains")
        }
        if head.method != "HEAD" {
            resources.compressor.compressIfAccepted(&response, acceptEncoding: head.headers["Accept-Encoding"])
        }
        var out: [UInt8] = []
        out.reserveCapacity(response.body.count + 256)
        HTTPResponseEncoder.encode(response, keepAlive: keepAlive, isHeadRequest: head.method == "HEAD",
                                   http10: head.versionMinor == 0, date: resources.dateCache.current(), into: &out)
        connection.write(out)
        resources.notePeak(bufferedBytes: connection.bufferedBytes)
        if !keepAlive {
            closeAfterWrites = true
            disarm()
            connection.close()
        }
    }

    /// A request the parser refused (or that timed out): answer with its status and close, as the request boundary is
    /// lost. The answer takes the next place in the response order rather than being written at once: requests
    /// pipelined before it may still be in their handlers, and their responses must come first.
    private func fail(status: Int, message: String) {
        acceptingRequests = false
        disarm()
        var response = HTTPResponse.error(status, message)
        response.headers.set("Connection", "close")
        let sequence = nextSequence
        nextSequence += 1
        inFlight += 1
        enqueue(response, sequence: sequence, head: nil)
    }

    private func writeError(_ response: HTTPResponse) {
        closeAfterWrites = true
        disarm()
        var out: [UInt8] = []
        HTTPResponseEncoder.encode(response, keepAlive: false, date: resources.dateCache.current(), into: &out)
        connection.write(out)
        resources.notePeak(bufferedBytes: connection.bufferedBytes)
        connection.close()
    }

    // MARK: Timeouts and shutdown

    private func arm(_ purpose: TimerPurpose, _ ms: UInt64) {
        timerPurpose = purpose
        connection.loop.schedule(timer, afterMs: ms)
    }

    private func disarm() {
        timerPurpose = .none
        if timer.isArmed { connection.loop.cancel(timer) }
    }

    private func timerFired() {
        switch timerPurpose {
        case .header where parser.hasPartialRequest, .body:
            fail(status: 408, message: "request not received in time")
        case .header, .idle:
            connection.close()
        case .none:
            break
        }
        timerPurpose = .none
    }

    /// Graceful shutdown: idle connections close now; busy ones after their in-flight responses.
    func beginDrain() {
        draining = true
        if inFlight == 0 && !parser.hasPartialRequest {
            disarm()
            connection.close()
        }
    }
}
