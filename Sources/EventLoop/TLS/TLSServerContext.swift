import COpenSSL
import Glibc

/// Immutable once built; shared by every loop (an `SSL_CTX` is thread-safe for creating sessions once configured).
///
/// Sessions retain the context that made them: OpenSSL's SNI and ALPN callbacks receive this object as an unretained
/// pointer, so it must outlive every handshake that may still call back into it — including after a reload.
public final class TLSServerContext: @unchecked Sendable {
    // @unchecked: every stored property is set once in init and never mutated; the SSL_CTXs are only read after setup.

    /// Mozilla "intermediate" TLS 1.2 list; TLS 1.3 keeps OpenSSL's default suites.
    static let intermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
        + "ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
    /// Mozilla "old" additions, used only when the configuration asks for TLS below 1.2 (nothing above is usable there).
    static let legacyCiphers = ":ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"
        + "ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:@SECLEVEL=0"
    static let groups = "X25519:prime256v1:secp384r1"

    /// One SSL_CTX per certificate pair; [0] is the default and the one every session starts from.
    let contexts: [OpaquePointer]
    /// Per pair, the DNS names its certificate covers (for logs).
    public let serverNames: [[String]]
    private let exactNames: [String: Int]
    /// "example.com" -> pair index, for a certificate name "*.example.com".
    private let wildcardParents: [String: Int]
    /// Heap copy so the ALPN callback reads from an address that never moves.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    public init(configuration: TLSServerConfiguration) throws(TLSError) {
        guard !configuration.certificates.isEmpty else {
            throw TLSError("TLS server configuration has no certificate pairs")
        }
        let wire = try ALPNWire.encode(configuration.alpnProtocols)
        OpenSSLErrors.clear()

        var contexts: [OpaquePointer] = []
        var names: [[String]] = []
        do throws(TLSError) {
            for pair in configuration.certificates {
                let ctx = try Self.makePairContext(pair, configuration: configuration)
                contexts.append(ctx)
                names.append(SSL_CTX_get0_certificate(ctx).map(OpenSSLSupport.dnsNames(of:)) ?? [])
            }
        } catch {
            contexts.forEach { SSL_CTX_free($0) }
            throw error
        }

        var exact: [String: Int] = [:]
        var wildcard: [String: Int] = [:]
        for (index, pairNames) in names.enumerated() {
            for name in pairNames.map(OpenSSLSupport.normalizeHostName) {
                // The first pair listing a name wins, so the configuration order is the tie-breaker.
                if name.hasPrefix("*.") {
                    let parent = String(name.dropFirst(2))
                    if wildcard[parent] == nil { wildcard[parent] = index }
                } else if exact[name] == nil {
                    exact[name] = index
                }
            }
        }

        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(wire.count, 1))
        _ = buffer.initialize(from: wire)
        self.contexts = contexts
        self.serverNames = names
        self.exactNames = exact
        self.wildcardParents = wildcard
        self.alpnWire = UnsafeMutableBufferPointer(rebasing: buffer[0..<wire.count])

        let arg = Unmanaged.passUnretained(self).toOpaque()
        if contexts.count > 1 {
            // Only the default context sees the ClientHello's server name; it hands the session over to the matching
            // pair's context, whose certificate OpenSSL then uses.
            copenssl_ctx_set_servername_callback(contexts[0], { ssl, _, arg in
                guard let ssl, let arg else { return COPENSSL_TLSEXT_ERR_OK }
                Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue().selectCertificate(for: ssl)
                return COPENSSL_TLSEXT_ERR_OK
            }, arg)
        }
        if !wire.isEmpty {
            // ALPN is resolved after SNI, against the context the session was switched to, hence on every pair.
            for ctx in contexts {
                SSL_CTX_set_alpn_select_cb(ctx, { _, out, outLength, clientList, clientLength, arg in
                    guard let out, let outLength, let clientList, clientLength > 0, let arg else {
                        return COPENSSL_TLSEXT_ERR_NOACK
                    }
                    let server = Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue().alpnWire
                    guard let serverList = server.baseAddress else { return COPENSSL_TLSEXT_ERR_NOACK }
                    var selected: UnsafeMutablePointer<UInt8>? = nil
                    // Server list first: the result is the first of OUR protocols the client offered.
                    let status = SSL_select_next_proto(&selected, outLength, serverList, UInt32(server.count),
                                                       clientList, clientLength)
                    // On no overlap OpenSSL still points `selected` at a fallback; ignoring it means "no ALPN",
                    // which keeps clients that only offer e.g. "h2" connected instead of failing the handshake.
                    guard status == OPENSSL_NPN_NEGOTIATED, let selected else { return COPENSSL_TLSEXT_ERR_NOACK }
                    out.pointee = UnsafePointer(selected)
                    return COPENSSL_TLSEXT_ERR_OK
                }, arg)
            }
        }
    }

    deinit {
        contexts.forEach { SSL_CTX_free($0) }
        alpnWire.deallocate()
    }

    /// Accept side: a session for a freshly accepted, non-blocking socket. The fd stays owned by the caller.
    public func makeSession(fd: Int32) throws(TLSError) -> TLSSession {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(contexts[0]) else { throw .openSSL("SSL_new failed") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw .openSSL("SSL_set_fd(\(fd)) failed")
        }
        SSL_set_accept_state(ssl)
        return TLSSession(ssl: ssl, owner: self)
    }

    /// Index of the pair whose certificate covers `hostName`; exact names beat wildcards, nil means "the default".
    func pairIndex(forHostName hostName: String) -> Int? {
        let name = OpenSSLSupport.normalizeHostName(hostName)
        if let index = exactNames[name] { return index }
        // A wildcard covers exactly one label: "*.example.com" matches "a.example.com", not "a.b.example.com".
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return nil }
        return wildcardParents[String(name[name.index(after: dot)...])]
    }

    private func selectCertificate(for ssl: OpaquePointer) {
        guard let raw = SSL_get_servername(ssl, COPENSSL_TLSEXT_NAMETYPE_host_name),
              let index = pairIndex(forHostName: String(cString: raw)), index != 0 else { return }
        _ = SSL_set_SSL_CTX(ssl, contexts[index])
    }

    private static func makePairContext(_ pair: TLSCertificatePair,
                                        configuration: TLSServerConfiguration) throws(TLSError) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new failed") }
        var succeeded = false
        defer { if !succeeded { SSL_CTX_free(ctx) } }

        try OpenSSLSupport.applyCommonSettings(ctx, minimum: configuration.minimumVersion, maximum: nil)
        // No SSL_OP_CIPHER_SERVER_PREFERENCE: per Mozilla, every listed suite is strong, and letting the client choose
        // lets phones without AES hardware pick ChaCha20.
        let ciphers = configuration.minimumVersion < .tls1_2
            ? intermediateCiphers + legacyCiphers : intermediateCiphers
        guard SSL_CTX_set_cipher_list(ctx, ciphers) == 1 else { throw .openSSL("cannot set cipher list") }
        guard copenssl_ctx_set_groups_list(ctx, groups) == 1 else { throw .openSSL("cannot set groups \(groups)") }
        // Without DH parameters the DHE-RSA suites are silently unusable; auto picks a size matching the key.
        _ = copenssl_ctx_set_dh_auto(ctx, 1)
        _ = copenssl_ctx_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_SERVER))
        let sessionContext: [UInt8] = Array("fitmate-gateway".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, sessionContext, UInt32(sessionContext.count))

        try loadPair(pair, into: ctx)
        succeeded = true
        return ctx
    }

    private static func loadPair(_ pair: TLSCertificatePair, into ctx: OpaquePointer) throws(TLSError) {
        let certPath = pair.certificatePath, keyPath = pair.privateKeyPath
        try OpenSSLSupport.requireReadable(certPath, what: "certificate")
        try OpenSSLSupport.requireReadable(keyPath, what: "private key")
        guard SSL_CTX_use_certificate_chain_file(ctx, certPath) == 1 else {
            throw .openSSL("invalid certificate chain in '\(certPath)'")
        }
        // Read the key ourselves (rather than SSL_CTX_use_PrivateKey_file) to tell "unreadable key" apart from "key
        // does not match", and to pass a passphrase callback that refuses: the default one would prompt on the tty.
        guard let bio = BIO_new_file(keyPath, "r") else { throw .openSSL("cannot open private key '\(keyPath)'") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
            throw .openSSL("invalid private key in '\(keyPath)' (encrypted keys are not supported)")
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(ctx, key) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
            throw .openSSL("private key '\(keyPath)' does not match certificate '\(certPath)'")
        }
    }
}
