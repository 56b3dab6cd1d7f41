import Glibc
import Foundation

/// A plain blocking TCP client for tests: the simplest possible peer, so a test failure points at the server.
public final class BlockingSocket {
    public let fd: Int32

    public init(port: Int, host: String = "127.0.0.1", receiveTimeoutMs: Int = 5000) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw TestError("connect to \(host):\(port) failed: errno \(errno)")
        }
        setReceiveTimeout(ms: receiveTimeoutMs)
    }

    public func setReceiveTimeout(ms: Int) {
        var tv = timeval(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func setReceiveBuffer(bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads whatever arrives next (up to `max` bytes); empty at EOF; throws on timeout or error.
    public func receiveSome(max: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, max, 0) }
        if n < 0 { throw TestError("recv failed: errno \(errno)") }
        return Array(buffer[0..<n])
    }

    /// Reads until the peer closes (or the timeout), returning everything.
    public func receiveUntilClose() throws -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let chunk = try receiveSome()
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    /// Reads until `predicate` holds for the bytes so far.
    public func receive(until predicate: ([UInt8]) -> Bool) throws -> [UInt8] {
        var all: [UInt8] = []
        while !predicate(all) {
            let chunk = try receiveSome()
            if chunk.isEmpty { throw TestError("connection closed after \(all.count) bytes: \(String(decoding: all, as: UTF8.self).prefix(300))") }
            all += chunk
        }
        return all
    }

    /// True when the peer has closed (a read returns EOF or a reset) within the timeout.
    public func isClosedByPeer() -> Bool {
        do {
            while true {
                if try receiveSome().isEmpty { return true }
            }
        } catch {
            return errno == ECONNRESET
        }
    }

    deinit { Glibc.close(fd) }
}

public struct TestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Waits for a condition that another thread makes true.
public func waitUntil(timeoutSeconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}
