import COpenSSL

public struct TLSCertificatePair: Sendable, Equatable {
    /// PEM: the leaf certificate first, then any intermediates (loaded with `SSL_CTX_use_certificate_chain_file`).
    public var certificatePath: String
    /// PEM private key (unencrypted) matching the leaf certificate.
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

public enum TLSVersion: Sendable, Comparable {
    case tls1, tls1_1, tls1_2, tls1_3

    var openSSLValue: Int32 {
        switch self {
        case .tls1: COPENSSL_TLS1_VERSION
        case .tls1_1: COPENSSL_TLS1_1_VERSION
        case .tls1_2: COPENSSL_TLS1_2_VERSION
        case .tls1_3: COPENSSL_TLS1_3_VERSION
        }
    }

    init?(openSSLValue: Int32) {
        switch openSSLValue {
        case COPENSSL_TLS1_VERSION: self = .tls1
        case COPENSSL_TLS1_1_VERSION: self = .tls1_1
        case COPENSSL_TLS1_2_VERSION: self = .tls1_2
        case COPENSSL_TLS1_3_VERSION: self = .tls1_3
        default: return nil
        }
    }
}

public struct TLSServerConfiguration: Sendable {
    /// The first pair is the default; SNI picks another pair when the client's server name matches one of that
    /// certificate's DNS names (subjectAltName DNS entries, else the CN), including `*.example.com` wildcards (one label).
    public var certificates: [TLSCertificatePair]
    /// The server picks the first of its own list that the client offers; with no overlap the handshake proceeds
    /// without ALPN rather than failing, so clients that only speak e.g. "h2" still reach the HTTP/1.1 upgrade path.
    public var alpnProtocols: [String]
    /// Mozilla "intermediate" is TLS 1.2 + 1.3. Lower values also enable the legacy CBC ciphers and security level 0,
    /// because without them OpenSSL 3 has nothing to negotiate below TLS 1.2.
    public var minimumVersion: TLSVersion

    public init(certificates: [TLSCertificatePair], alpnProtocols: [String] = ["http/1.1"], minimumVersion: TLSVersion = .tls1_2) {
        self.certificates = certificates
        self.alpnProtocols = alpnProtocols
        self.minimumVersion = minimumVersion
    }
}

public struct TLSClientConfiguration: Sendable {
    /// PEM CA file; nil = the system's default trust paths.
    public var trustedCertificatesPath: String?
    /// Verifies the chain and, when a server name is given to `makeSession`, the host name too.
    public var verifyPeer: Bool
    public var alpnProtocols: [String]
    public var minimumVersion: TLSVersion
    /// Pins an upper bound (tests use it to force TLS 1.2 or 1.1). Below TLS 1.2 the cipher list is widened to
    /// "DEFAULT:@SECLEVEL=0", otherwise OpenSSL 3 does not even offer the old version.
    public var maximumVersion: TLSVersion?

    public init(trustedCertificatesPath: String? = nil, verifyPeer: Bool = true, alpnProtocols: [String] = [],
                minimumVersion: TLSVersion = .tls1_2, maximumVersion: TLSVersion? = nil) {
        self.trustedCertificatesPath = trustedCertificatesPath
        self.verifyPeer = verifyPeer
        self.alpnProtocols = alpnProtocols
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }
}

enum ALPNWire {
    /// RFC 7301 wire format: each protocol as a one-byte length followed by its bytes.
    static func encode(_ protocols: [String]) throws(TLSError) -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError("ALPN protocol name must be 1...255 bytes: \"\(name)\"")
            }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        return wire
    }
}
