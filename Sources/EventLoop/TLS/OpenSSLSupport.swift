import COpenSSL
import Glibc

/// Setup shared by server and client contexts.
enum OpenSSLSupport {
    static func applyCommonSettings(_ ctx: OpaquePointer, minimum: TLSVersion, maximum: TLSVersion?) throws(TLSError) {
        guard copenssl_ctx_set_min_version(ctx, minimum.openSSLValue) == 1 else {
            throw .openSSL("cannot set minimum TLS version \(minimum)")
        }
        if let maximum {
            guard maximum >= minimum else {
                throw TLSError("maximum TLS version \(maximum) is below minimum \(minimum)")
            }
            guard copenssl_ctx_set_max_version(ctx, maximum.openSSLValue) == 1 else {
                throw .openSSL("cannot set maximum TLS version \(maximum)")
            }
        }
        // RELEASE_BUFFERS drops the ~34 KB of record buffers while a connection is idle, which is most of the
        // per-connection memory at 10k+ mostly idle WebSocket clients. PARTIAL_WRITE + MOVING_WRITE_BUFFER let the loop
        // push large payloads record by record and retry from wherever its (possibly reallocated) buffer now lives.
        _ = copenssl_ctx_set_mode(ctx, COPENSSL_MODE_RELEASE_BUFFERS | COPENSSL_MODE_ENABLE_PARTIAL_WRITE
                                      | COPENSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        // IGNORE_UNEXPECTED_EOF: mobile clients routinely vanish without close_notify; OpenSSL 3 would report that as a
        // protocol error. Reporting it as a plain close instead is safe here because everything above TLS is
        // self-delimiting (HTTP lengths, WebSocket frames), so a truncation attack is still detected by the framing.
        _ = copenssl_ctx_set_options(ctx, COPENSSL_OP_NO_RENEGOTIATION | COPENSSL_OP_NO_COMPRESSION
                                         | COPENSSL_OP_IGNORE_UNEXPECTED_EOF)
        if minimum < .tls1_2 {
            // OpenSSL 3 (and Debian's openssl.cnf at SECLEVEL=2) refuses SHA-1 based TLS 1.0/1.1 handshakes
            // outright; an explicit request for them means lowering the security level as well.
            guard SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") == 1 else {
                throw .openSSL("cannot set legacy cipher list")
            }
        }
    }

    static func requireReadable(_ path: String, what: String) throws(TLSError) {
        if access(path, R_OK) != 0 {
            let code = errno
            throw TLSError("cannot read \(what) '\(path)': \(String(cString: strerror(code)))")
        }
    }

    static func commonName(of certificate: OpaquePointer) -> String? {
        guard let subject = X509_get_subject_name(certificate) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(subject, NID_commonName, &buffer, Int32(buffer.count))
        guard length >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// subjectAltName DNS entries, or the CN when there are none (the same fallback browsers used to apply).
    static func dnsNames(of certificate: OpaquePointer) -> [String] {
        var names: [String] = []
        if let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let stack = OpaquePointer(raw)
            for index in 0..<OPENSSL_sk_num(stack) {
                guard let entry = OPENSSL_sk_value(stack, index)?.assumingMemoryBound(to: GENERAL_NAME.self),
                      entry.pointee.type == GEN_DNS,
                      let ia5 = entry.pointee.d.dNSName,
                      let bytes = ASN1_STRING_get0_data(ia5) else { continue }
                let count = Int(ASN1_STRING_length(ia5))
                names.append(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
            }
            GENERAL_NAMES_free(stack)
        }
        if names.isEmpty, let cn = commonName(of: certificate) {
            names.append(cn)
        }
        return names
    }

    /// Lower-case ASCII, without a trailing root dot: DNS names compare case-insensitively and "a.test." is "a.test".
    static func normalizeHostName(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    static func isIPAddress(_ name: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, name, &storage) == 1 || inet_pton(AF_INET6, name, &storage) == 1
    }
}
