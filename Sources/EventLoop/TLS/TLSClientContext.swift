import COpenSSL
import Glibc

/// Connect side (the gateway calling out, and tests). Immutable once built; shareable between loops.
public final class TLSClientContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured in init and only used to create sessions afterwards.
    private let ctx: OpaquePointer
    private let verifyPeer: Bool

    public init(configuration: TLSClientConfiguration) throws(TLSError) {
        let wire = try ALPNWire.encode(configuration.alpnProtocols)
        OpenSSLErrors.clear()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .openSSL("SSL_CTX_new failed") }
        var succeeded = false
        defer { if !succeeded { SSL_CTX_free(ctx) } }

        try OpenSSLSupport.applyCommonSettings(ctx, minimum: configuration.minimumVersion,
                                               maximum: configuration.maximumVersion)
        SSL_CTX_set_verify(ctx, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let path = configuration.trustedCertificatesPath {
            try OpenSSLSupport.requireReadable(path, what: "trusted certificates")
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw .openSSL("invalid trusted certificates in '\(path)'")
            }
        } else if configuration.verifyPeer {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw .openSSL("cannot load system trust store") }
        }
        // Unlike most of OpenSSL, SSL_CTX_set_alpn_protos returns 0 on success.
        if !wire.isEmpty, SSL_CTX_set_alpn_protos(ctx, wire, UInt32(wire.count)) != 0 {
            throw .openSSL("cannot set ALPN protocols \(configuration.alpnProtocols)")
        }
        self.ctx = ctx
        self.verifyPeer = configuration.verifyPeer
        succeeded = true
    }

    deinit {
        SSL_CTX_free(ctx)
    }

    /// `serverName` is sent as SNI (unless it is an IP literal, which RFC 6066 forbids there) and, with `verifyPeer`,
    /// checked against the certificate.
    public func makeSession(fd: Int32, serverName: String?) throws(TLSError) -> TLSSession {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(ctx) else { throw .openSSL("SSL_new failed") }
        var succeeded = false
        defer { if !succeeded { SSL_free(ssl) } }

        guard SSL_set_fd(ssl, fd) == 1 else { throw .openSSL("SSL_set_fd(\(fd)) failed") }
        if let serverName {
            let isIP = OpenSSLSupport.isIPAddress(serverName)
            if !isIP, copenssl_set_tlsext_host_name(ssl, serverName) != 1 {
                throw .openSSL("cannot set SNI host name '\(serverName)'")
            }
            if verifyPeer {
                let ok = isIP ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
                              : SSL_set1_host(ssl, serverName)
                guard ok == 1 else { throw .openSSL("cannot set expected peer name '\(serverName)'") }
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            }
        }
        SSL_set_connect_state(ssl)
        succeeded = true
        return TLSSession(ssl: ssl, owner: self)
    }
}
