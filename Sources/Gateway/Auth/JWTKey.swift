import COpenSSL

/// One verification (or signing) key, bound to the algorithm family it was configured for. `id` is matched against a
/// token's `kid`.
public struct JWTKey: Sendable {
    enum Material: Sendable {
        case secret([UInt8])
        case rsa(EVPKey)
        case ec(EVPKey, EllipticCurve)
    }

    public let id: String?
    let material: Material
    /// Set when the key's source names one algorithm (a JWK's `alg`); nil = any algorithm of its family.
    private(set) var onlyAlgorithm: JWTAlgorithm?

    /// RFC 7518 §3.2: an HMAC key must be at least as long as the hash; 32 bytes is the least for HS256.
    public static let minimumSecretBytes = 32

    public static func secret(_ bytes: [UInt8], id: String? = nil) -> JWTKey {
        JWTKey(id: id, material: .secret(bytes))
    }

    /// A PEM public key (SPKI or certificate), RSA or EC; the type decides which algorithms it verifies.
    public static func publicKey(pem: [UInt8], id: String? = nil) throws(KeyProblem) -> JWTKey {
        try asymmetric(EVPKey.publicKey(pem: pem).get(), id: id)
    }

    /// A PEM private key, for signing (the `token` command, tests); it verifies too.
    public static func privateKey(pem: [UInt8], id: String? = nil) throws(KeyProblem) -> JWTKey {
        try asymmetric(EVPKey.privateKey(pem: pem).get(), id: id)
    }

    static func asymmetric(_ key: EVPKey, id: String?) throws(KeyProblem) -> JWTKey {
        switch key.kind() {
        case .success(.rsa): return JWTKey(id: id, material: .rsa(key))
        case .success(.ec(let curve)): return JWTKey(id: id, material: .ec(key, curve))
        case .failure(let problem): throw problem
        }
    }

    /// Whether this key may check `algorithm`: HMAC secrets only HS*, RSA keys only RS*, EC keys only their curve's ES*.
    public func accepts(_ algorithm: JWTAlgorithm) -> Bool {
        if let onlyAlgorithm, onlyAlgorithm != algorithm { return false }
        switch (material, algorithm.family) {
        case (.secret, .hmac), (.rsa, .rsa): return true
        case (.ec(_, let curve), .ecdsa(let wanted)): return curve == wanted
        default: return false
        }
    }

    func restricted(to algorithm: JWTAlgorithm) -> JWTKey {
        var key = self
        key.onlyAlgorithm = algorithm
        return key
    }

    /// The algorithm a signer uses with this key when none is asked for.
    public var defaultAlgorithm: JWTAlgorithm {
        if let onlyAlgorithm { return onlyAlgorithm }
        switch material {
        case .secret: return .hs256
        case .rsa: return .rs256
        case .ec(_, .p256): return .es256
        case .ec(_, .p384): return .es384
        }
    }

    func verify(_ signature: [UInt8], of input: ArraySlice<UInt8>, algorithm: JWTAlgorithm) -> Bool {
        guard accepts(algorithm) else { return false }
        switch material {
        case .secret(let secret):
            guard let expected = Self.hmac(secret, input, algorithm), expected.count == signature.count else { return false }
            return CRYPTO_memcmp(expected, signature, expected.count) == 0
        case .rsa(let key):
            return Self.digestVerify(key, signature, input, algorithm)
        case .ec(let key, let curve):
            guard let der = ECDSASignatureFormat.der(fromJOSE: signature, curve: curve) else { return false }
            return Self.digestVerify(key, der, input, algorithm)
        }
    }

    /// nil when the key cannot sign (a public key) or OpenSSL fails.
    func sign(_ input: [UInt8], algorithm: JWTAlgorithm) -> [UInt8]? {
        guard accepts(algorithm) else { return nil }
        switch material {
        case .secret(let secret): return Self.hmac(secret, input[...], algorithm)
        case .rsa(let key): return Self.digestSign(key, input, algorithm)
        case .ec(let key, let curve):
            return Self.digestSign(key, input, algorithm).flatMap { ECDSASignatureFormat.jose(fromDER: $0, curve: curve) }
        }
    }

    private static func hmac(_ secret: [UInt8], _ input: ArraySlice<UInt8>, _ algorithm: JWTAlgorithm) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = input.withUnsafeBufferPointer { data in
            HMAC(algorithm.digest, secret, Int32(secret.count), data.baseAddress, data.count, &out, &length)
        }
        return done == nil ? nil : Array(out.prefix(Int(length)))
    }

    private static func digestVerify(_ key: EVPKey, _ signature: [UInt8], _ input: ArraySlice<UInt8>,
                                     _ algorithm: JWTAlgorithm) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, algorithm.digest, nil, key.pointer) == 1 else {
            _ = OpenSSLErrorText.drain()
            return false
        }
        let result = input.withUnsafeBufferPointer { data in
            EVP_DigestVerify(context, signature, signature.count, data.baseAddress, data.count)
        }
        // A failed verification queues an error; leaving it would confuse the next OpenSSL call on this thread (TLS).
        if result != 1 { _ = OpenSSLErrorText.drain() }
        return result == 1
    }

    private static func digestSign(_ key: EVPKey, _ input: [UInt8], _ algorithm: JWTAlgorithm) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, algorithm.digest, nil, key.pointer) == 1,
              EVP_DigestSign(context, nil, &length, input, input.count) == 1 else {
            _ = OpenSSLErrorText.drain()
            return nil
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, input, input.count) == 1 else {
            _ = OpenSSLErrorText.drain()
            return nil
        }
        return Array(signature.prefix(length))
    }
}
