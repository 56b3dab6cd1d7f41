import EventLoop
import Foundation
import Glibc

/// Why a test TLS client could not complete its handshake (the server refused, or it timed out).
public struct TLSHandshakeFailure: Error, CustomStringConvertible {
    public let description: String
}

/// A TLS client for tests with a blocking-style API: `TLSClientContext`/`TLSSession` over a TCP socket to 127.0.0.1,
/// driven with poll() and a deadline (the socket itself is non-blocking, so a stalled server never hangs a test).
public final class BlockingTLSSocket {
    private let tcp: BlockingSocket
    public let session: TLSSession
    public let timeoutMs: Int
    public var fd: Int32 { tcp.fd }

    /// Connects and completes the handshake; throws `TLSHandshakeFailure` if the handshake fails or times out.
    /// The default configuration trusts nothing and verifies nothing: tests check the presented certificate's CN.
    public init(port: Int, host: String = "127.0.0.1", serverName: String? = nil,
                configuration: TLSClientConfiguration = TLSClientConfiguration(verifyPeer: false),
                timeoutMs: Int = 5000) throws {
        // OpenSSL writes with write(2); a peer that already closed must not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        tcp = try BlockingSocket(port: port, host: host, receiveTimeoutMs: timeoutMs)
        _ = fcntl(tcp.fd, F_SETFL, fcntl(tcp.fd, F_GETFL) | O_NONBLOCK)
        self.timeoutMs = timeoutMs
        session = try TLSClientContext(configuration: configuration).makeSession(fd: tcp.fd, serverName: serverName)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            switch session.handshake() {
            case .complete:
                return
            case .failed(let why):
                throw TLSHandshakeFailure(description: why)
            case .want(let want):
                guard wait(for: want, until: deadline) else {
                    throw TLSHandshakeFailure(description: "handshake timed out after \(timeoutMs) ms")
                }
            }
        }
    }

    public var protocolVersion: TLSVersion? { session.protocolVersion }
    public var negotiatedALPN: String? { session.negotiatedALPN }
    public var peerCommonName: String? { session.peerCertificateCommonName }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { session.write($0) }
            switch result {
            case .bytes(let n): sent += n
            case .want(let want):
                guard wait(for: want, until: deadline) else { throw TestError("TLS send timed out after \(sent) bytes") }
            case .closed: throw TestError("TLS send: connection closed after \(sent) bytes")
            case .failed(let why): throw TestError("TLS send: \(why)")
            }
        }
    }

    /// Decrypted bytes that arrive next; empty when the peer closed; throws on timeout or error.
    public func receiveSome(max: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let result = buffer.withUnsafeMutableBytes { session.read(into: $0) }
            switch result {
            case .bytes(let n): return Array(buffer[0..<n])
            case .closed: return []
            case .failed(let why): throw TestError("TLS receive: \(why)")
            case .want(let want):
                guard wait(for: want, until: deadline) else { throw TestError("TLS receive timed out") }
            }
        }
    }

    /// Reads until `predicate` holds for the bytes so far.
    public func receive(until predicate: ([UInt8]) -> Bool) throws -> [UInt8] {
        var all: [UInt8] = []
        while !predicate(all) {
            let chunk = try receiveSome()
            if chunk.isEmpty {
                throw TestError("TLS connection closed after \(all.count) bytes: \(String(decoding: all, as: UTF8.self).prefix(300))")
            }
            all += chunk
        }
        return all
    }

    /// Sends `GET path` and reads one whole response.
    public func get(_ path: String, host: String = "127.0.0.1", headers: [String: String] = [:]) throws -> TestHTTPResponse {
        try send(TestHTTPResponse.getRequest(path, host: host, headers: headers))
        return TestHTTPResponse.parse(try receive { TestHTTPResponse.parse($0) != nil })!
    }

    /// Waits for the readiness OpenSSL asked for; false once `deadline` has passed.
    private func wait(for want: TLSWant, until deadline: Date) -> Bool {
        while true {
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0 else { return false }
            var descriptor = pollfd(fd: tcp.fd, events: Int16(want == .read ? POLLIN : POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 100)))
            // Errors and hang-ups count as ready: the next OpenSSL call reports them.
            if ready != 0 { return true }
        }
    }

    deinit { session.shutdown() }
}
