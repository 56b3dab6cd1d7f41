import EventLoop
import Foundation
import TestSupport
import XCTest

/// A connected pair of non-blocking sockets plus helpers that drive two `TLSSession`s against each other the way the
/// event loop would: call, and on `want` wait with poll() for that readiness.
final class TLSSocketPair {
    let serverFD: Int32
    private(set) var clientFD: Int32

    init() throws {
        // OpenSSL writes with write(2); a peer that already closed must not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw TestCertificateError(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        serverFD = fds[0]
        clientFD = fds[1]
    }

    deinit {
        close(serverFD)
        if clientFD >= 0 { close(clientFD) }
    }

    func closeClient() {
        close(clientFD)
        clientFD = -1
    }

    /// Runs both handshakes to completion or failure. A side that fails has its write half shut down, as the loop
    /// would close it, so the other side sees the alert or EOF instead of waiting forever.
    func handshake(server: TLSSession, client: TLSSession,
                   timeout: TimeInterval = 5) -> (server: TLSHandshakeResult, client: TLSHandshakeResult) {
        var results: [TLSHandshakeResult] = [.want(.read), .want(.write)]
        var done = [false, false]
        let sessions = [server, client]
        let fds = [serverFD, clientFD]
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for side in 0..<2 where !done[side] {
                results[side] = sessions[side].handshake()
                if case .want = results[side] { continue }
                done[side] = true
                if case .failed = results[side] { Glibc.shutdown(fds[side], Int32(SHUT_WR)) }
            }
            if done[0] && done[1] { break }
            var polls: [pollfd] = []
            for side in 0..<2 where !done[side] {
                if case .want(let want) = results[side] {
                    polls.append(pollfd(fd: fds[side], events: Int16(want == .read ? POLLIN : POLLOUT), revents: 0))
                }
            }
            _ = poll(&polls, nfds_t(polls.count), 50)
        }
        return (results[0], results[1])
    }

    struct TransferStats {
        var writeCalls = 0
        var wantWrite = 0
        var sawPendingBytes = false
    }

    /// Sends `data` through `writer` and collects it through `reader`, reading with `readChunk`-sized buffers.
    func transfer(_ data: [UInt8], from writer: TLSSession, writerFD: Int32, to reader: TLSSession, readerFD: Int32,
                  readChunk: Int = 64 * 1024, timeout: TimeInterval = 10) throws -> (received: [UInt8], stats: TransferStats) {
        var stats = TransferStats()
        var sent = 0
        var received: [UInt8] = []
        received.reserveCapacity(data.count)
        var buffer = [UInt8](repeating: 0, count: readChunk)
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < data.count {
            guard Date() < deadline else {
                throw TestCertificateError(description: "transfer timed out: sent \(sent), received \(received.count)")
            }
            var writerWants: TLSWant? = nil
            writing: while sent < data.count {
                let result = data[sent...].withUnsafeBytes { writer.write($0) }
                switch result {
                case .bytes(let count): stats.writeCalls += 1; sent += count
                case .want(let want): writerWants = want; if want == .write { stats.wantWrite += 1 }; break writing
                case .closed, .failed: throw TestCertificateError(description: "write: \(result)")
                }
            }
            reading: while true {
                let result = buffer.withUnsafeMutableBytes { reader.read(into: $0) }
                switch result {
                case .bytes(let count):
                    received += buffer[0..<count]
                    if reader.pendingReadableBytes > 0 { stats.sawPendingBytes = true }
                case .want: break reading
                case .closed, .failed: throw TestCertificateError(description: "read: \(result)")
                }
            }
            if received.count < data.count {
                var polls = [pollfd(fd: readerFD, events: Int16(POLLIN), revents: 0)]
                if let writerWants {
                    polls.append(pollfd(fd: writerFD, events: Int16(writerWants == .read ? POLLIN : POLLOUT), revents: 0))
                }
                _ = poll(&polls, nfds_t(polls.count), 50)
            }
        }
        return (received, stats)
    }

    /// Reads until the reader reports something other than `want(.read)` (or the deadline passes).
    func readOutcome(_ reader: TLSSession, fd: Int32, timeout: TimeInterval = 5) -> TLSIOResult {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let result = buffer.withUnsafeMutableBytes { reader.read(into: $0) }
            guard case .want = result else { return result }
            var polls = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&polls, 1, 50)
        }
        return .want(.read)
    }
}
