import EventLoop

/// One keep-alive HTTP/1.1 client connection carrying one request at a time: what long-polling needs (Engine.IO answers
/// always carry `Content-Length`). Loop-confined.
final class HTTPClientConnection: ConnectionDelegate {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    let endpoint: ClientEndpoint
    let tls: TLSClientContext?
    let loop: EventLoop
    /// The connection failed or closed: no more responses.
    var onClose: ((String) -> Void)?
    private var connection: Connection?
    private var active = false
    private var queuedRequest: [UInt8]?
    private var completion: ((Response) -> Void)?
    private var buffer: [UInt8] = []
    private var head: (status: Int, bodyStart: Int, length: Int)?
    static let maxHeadBytes = 16 * 1024

    init(endpoint: ClientEndpoint, tls: TLSClientContext?, loop: EventLoop) {
        self.endpoint = endpoint
        self.tls = tls
        self.loop = loop
    }

    var isBusy: Bool { completion != nil }

    func request(method: String, target: String, body: [UInt8]? = nil, completion: @escaping (Response) -> Void) {
        var request = Array("\(method) \(target) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\n".utf8)
        if let body {
            request += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: \(body.count)\r\n\r\n".utf8
            request += body
        } else {
            request += "\r\n".utf8
        }
        self.completion = completion
        if active {
            connection?.write(request)
        } else {
            queuedRequest = request
            if connection == nil { connect() }
        }
    }

    func close() {
        onClose = nil
        completion = nil
        connection?.close()
    }

    private func connect() {
        Connection.connect(host: endpoint.host, port: endpoint.port, on: loop, tls: tls,
                           serverName: tls == nil ? nil : endpoint.tlsServerName, delegate: self) { [weak self] result in
            if case .failure(let error) = result { self?.fail("transport error: \(error)") }
        }
    }

    func connectionDidBecomeActive(_ connection: Connection) {
        self.connection = connection
        active = true
        if let request = queuedRequest {
            queuedRequest = nil
            connection.write(request)
        }
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        while true {
            if head == nil {
                guard let end = Self.headEnd(buffer) else {
                    if buffer.count > Self.maxHeadBytes { return fail("transport error: response head too large") }
                    return
                }
                guard let parsed = Self.parseHead(buffer[..<end]) else { return fail("transport error: malformed response") }
                head = (parsed.status, end + 4, parsed.length)
            }
            guard let (status, start, length) = head, buffer.count >= start + length else { return }
            let body = Array(buffer[start..<(start + length)])
            buffer.removeFirst(start + length)
            head = nil
            let completion = self.completion
            self.completion = nil
            completion?(Response(status: status, body: body))
        }
    }

    func connectionDidClose(_ connection: Connection, reason: ConnectionCloseReason) {
        self.connection = nil
        fail(active ? "transport close" : "transport error: \(reason)")
    }

    private func fail(_ reason: String) {
        completion = nil
        connection?.closeNow()
        let onClose = self.onClose
        self.onClose = nil
        onClose?(reason)
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Status and `Content-Length` (0 when absent); anything else in the head is irrelevant to polling.
    static func parseHead(_ head: ArraySlice<UInt8>) -> (status: Int, length: Int)? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return nil }
        var length = 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            if line[..<colon].lowercased() == "content-length" {
                guard let n = Int(line[line.index(after: colon)...].trimmingPrefix(" ")), n >= 0 else { return nil }
                length = n
            }
        }
        return (status, length)
    }
}
