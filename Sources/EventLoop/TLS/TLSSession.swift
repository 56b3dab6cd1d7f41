import COpenSSL
import Glibc

public enum TLSWant: Sendable, Equatable {
    case read, write
}

public enum TLSIOResult: Sendable, Equatable {
    case bytes(Int)
    case want(TLSWant)
    /// Clean close_notify, or EOF without one (see `SSL_OP_IGNORE_UNEXPECTED_EOF` in OpenSSLSupport).
    case closed
    case failed(String)
}

public enum TLSHandshakeResult: Sendable, Equatable {
    case complete
    case want(TLSWant)
    case failed(String)
}

/// One connection's TLS state, with OpenSSL reading and writing the non-blocking socket itself (`SSL_set_fd`).
///
/// Confined to the loop that owns the fd, hence not Sendable. Frees the `SSL*` in deinit but never closes the fd.
/// `want(.read)` / `want(.write)` name the socket readiness needed before retrying — either can come from any call
/// (a read may need to write, e.g. for a key update). The process must ignore SIGPIPE: OpenSSL's socket BIO uses
/// plain `write()`, so a write to a reset connection would otherwise kill the process.
public final class TLSSession {
    private let ssl: OpaquePointer
    /// Keeps the context alive: it owns the SSL_CTXs and is the argument of OpenSSL's SNI/ALPN callbacks.
    private let owner: AnyObject
    /// After SSL_ERROR_SSL or SSL_ERROR_SYSCALL OpenSSL forbids further I/O, including SSL_shutdown.
    private var hasFailed = false

    init(ssl: OpaquePointer, owner: AnyObject) {
        self.ssl = ssl
        self.owner = owner
    }

    deinit {
        SSL_free(ssl)
    }

    public func handshake() -> TLSHandshakeResult {
        if hasFailed { return .failed("TLS session already failed") }
        OpenSSLErrors.clear()
        errno = 0
        let ret = SSL_do_handshake(ssl)
        if ret == 1 { return .complete }
        switch classify(ret, savedErrno: errno, operation: "handshake") {
        case .want(let want): return .want(want)
        case .closed:
            hasFailed = true
            return .failed("handshake: peer closed the connection")
        case .failed(let message): return .failed(message)
        }
    }

    /// Decrypted bytes into `buffer`. An empty buffer yields `.bytes(0)`; otherwise `.bytes` is always positive.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        if hasFailed { return .failed("TLS session already failed") }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        OpenSSLErrors.clear()
        errno = 0
        let ret = SSL_read(ssl, base, Int32(clamping: buffer.count))
        if ret > 0 { return .bytes(Int(ret)) }
        return ioResult(classify(ret, savedErrno: errno, operation: "read"))
    }

    /// Encrypts and sends a prefix of `bytes` (partial writes are enabled). After `.want`, retry with the same
    /// remaining bytes — they may live at a new address, but must not be shorter or different.
    public func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        if hasFailed { return .failed("TLS session already failed") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .bytes(0) }
        OpenSSLErrors.clear()
        errno = 0
        let ret = SSL_write(ssl, base, Int32(clamping: bytes.count))
        if ret > 0 { return .bytes(Int(ret)) }
        return ioResult(classify(ret, savedErrno: errno, operation: "write"))
    }

    /// Best-effort close_notify: one non-blocking attempt, errors ignored. The caller closes the fd afterwards.
    public func shutdown() {
        guard !hasFailed, SSL_is_init_finished(ssl) == 1 else { return }
        OpenSSLErrors.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrors.clear()
    }

    public var isHandshakeComplete: Bool {
        SSL_is_init_finished(ssl) == 1
    }

    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>? = nil
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Server side: the SNI name the client sent. Client side: the name this session asked for.
    public var serverName: String? {
        SSL_get_servername(ssl, COPENSSL_TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    }

    public var protocolVersion: TLSVersion? {
        isHandshakeComplete ? TLSVersion(openSSLValue: SSL_version(ssl)) : nil
    }

    /// Client side: the CN of the certificate the server presented.
    public var peerCertificateCommonName: String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        return OpenSSLSupport.commonName(of: certificate)
    }

    /// Decrypted bytes already inside OpenSSL. epoll cannot see these (the socket may be drained), so the loop must
    /// keep calling `read` while this is non-zero.
    public var pendingReadableBytes: Int {
        Int(SSL_pending(ssl))
    }

    private enum Outcome {
        case want(TLSWant)
        case closed
        case failed(String)
    }

    private func ioResult(_ outcome: Outcome) -> TLSIOResult {
        switch outcome {
        case .want(let want): .want(want)
        case .closed: .closed
        case .failed(let message): .failed(message)
        }
    }

    private func classify(_ ret: Int32, savedErrno: Int32, operation: String) -> Outcome {
        switch SSL_get_error(ssl, ret) {
        case SSL_ERROR_WANT_READ:
            return .want(.read)
        case SSL_ERROR_WANT_WRITE:
            return .want(.write)
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            hasFailed = true
            let queued = OpenSSLErrors.drain()
            if !queued.isEmpty { return .failed("\(operation): \(queued)") }
            // No queued error and no errno: EOF without close_notify.
            if savedErrno == 0 { return .closed }
            return .failed("\(operation): \(String(cString: strerror(savedErrno)))")
        case SSL_ERROR_SSL:
            hasFailed = true
            var message = "\(operation): \(OpenSSLErrors.drain())"
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let reason = X509_verify_cert_error_string(verify) {
                message += " (certificate verification: \(String(cString: reason)))"
            }
            return .failed(message)
        case let code:
            hasFailed = true
            OpenSSLErrors.clear()
            return .failed("\(operation): unexpected SSL_get_error \(code)")
        }
    }
}

@available(*, unavailable, message: "a TLS session is confined to the event loop that owns its socket")
extension TLSSession: Sendable {}
