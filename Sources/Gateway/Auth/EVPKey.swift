import COpenSSL

/// An OpenSSL `EVP_PKEY` (RSA or EC, public or private), freed with its owner. Immutable after creation, and OpenSSL 3
/// allows concurrent use of one key from several threads for verification, hence `Sendable`.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    enum Kind: Equatable {
        case rsa(bits: Int)
        case ec(EllipticCurve)
    }

    /// The smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits); smaller keys are forgeable in practice.
    static let minimumRSABits = 2048

    /// What the key is, or why it cannot be used for JWT.
    func kind() -> Result<Kind, KeyProblem> {
        if EVP_PKEY_is_a(pointer, "RSA") == 1 {
            let bits = Int(EVP_PKEY_get_bits(pointer))
            guard bits >= Self.minimumRSABits else {
                return .failure(KeyProblem("RSA key has \(bits) bits; at least \(Self.minimumRSABits) are required"))
            }
            return .success(.rsa(bits: bits))
        }
        if EVP_PKEY_is_a(pointer, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pointer, "group", &name, name.count, &length) == 1,
                  let curve = EllipticCurve(groupName: cText(name)) else {
                return .failure(KeyProblem("EC key is not on P-256 or P-384 (the curves of ES256 and ES384)"))
            }
            return .success(.ec(curve))
        }
        return .failure(KeyProblem("key type is neither RSA nor EC"))
    }

    /// A public key from PEM: `PUBLIC KEY` (SPKI) or a `CERTIFICATE` whose key is taken.
    static func publicKey(pem: [UInt8]) -> Result<EVPKey, KeyProblem> {
        let text = String(decoding: pem, as: UTF8.self)
        return withMemoryBIO(pem) { bio in
            if text.contains("-----BEGIN CERTIFICATE-----") {
                guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
                defer { X509_free(certificate) }
                return X509_get_pubkey(certificate)
            }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }.flatMap { key in
            key.map { .success(EVPKey(taking: $0)) }
                ?? .failure(KeyProblem(text.contains("BEGIN RSA PUBLIC KEY")
                    ? "PKCS#1 RSA PUBLIC KEY is not read; convert it with `openssl rsa -RSAPublicKey_in -pubout`"
                    : "no PEM PUBLIC KEY or CERTIFICATE found (\(OpenSSLErrorText.drain()))"))
        }
    }

    /// A private key from PEM (PKCS#8, or traditional RSA/EC), unencrypted. The password callback refuses: OpenSSL's
    /// default one would prompt on the terminal and hang a non-interactive run on an encrypted key.
    static func privateKey(pem: [UInt8]) -> Result<EVPKey, KeyProblem> {
        withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) }.flatMap { key in
            key.map { .success(EVPKey(taking: $0)) }
                ?? .failure(KeyProblem("no unencrypted PEM PRIVATE KEY found (\(OpenSSLErrorText.drain()))"))
        }
    }

    /// An RSA public key from its modulus and exponent (big-endian bytes, as in a JWK).
    static func rsaPublicKey(modulus: [UInt8], exponent: [UInt8]) -> Result<EVPKey, KeyProblem> {
        fromData(type: "RSA") { builder in
            let n = BN_bin2bn(modulus, Int32(modulus.count), nil), e = BN_bin2bn(exponent, Int32(exponent.count), nil)
            let release = { BN_free(n); BN_free(e) }
            guard let n, let e, OSSL_PARAM_BLD_push_BN(builder, cName("n"), n) == 1,
                  OSSL_PARAM_BLD_push_BN(builder, cName("e"), e) == 1 else { release(); return nil }
            return release
        }
    }

    /// An EC public key from its curve and affine coordinates (as in a JWK).
    static func ecPublicKey(curve: EllipticCurve, x: [UInt8], y: [UInt8]) -> Result<EVPKey, KeyProblem> {
        fromData(type: "EC") { builder in
            // The builder keeps pointers, not copies, until the parameters are built: the point must outlive this call.
            let point = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 + x.count + y.count)
            _ = point.initialize(from: [0x04] + x + y) // uncompressed SEC1 point
            let release = { point.deallocate() }
            guard OSSL_PARAM_BLD_push_utf8_string(builder, cName("group"), curve.groupName, 0) == 1,
                  OSSL_PARAM_BLD_push_octet_string(builder, cName("pub"), point.baseAddress, point.count) == 1 else {
                release()
                return nil
            }
            return release
        }
    }

    /// `push` adds the key's parameters and returns what releases their storage once the parameters are built (the
    /// builder references, not copies, names, strings and BIGNUMs); nil when it could not push them.
    private static func fromData(type: String, push: (OpaquePointer) -> (() -> Void)?) -> Result<EVPKey, KeyProblem> {
        guard let builder = OSSL_PARAM_BLD_new() else { return .failure(KeyProblem("out of memory")) }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard let release = push(builder) else { return .failure(KeyProblem("cannot build \(type) key parameters")) }
        defer { release() }
        guard let parameters = OSSL_PARAM_BLD_to_param(builder) else {
            return .failure(KeyProblem("cannot build \(type) key parameters"))
        }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else {
            return .failure(KeyProblem("OpenSSL has no \(type) support"))
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
              EVP_PKEY_fromdata(context, &key, COPENSSL_EVP_PKEY_PUBLIC_KEY, parameters) == 1, let key else {
            return .failure(KeyProblem("invalid \(type) public key (\(OpenSSLErrorText.drain()))"))
        }
        let made = EVPKey(taking: key)
        // fromdata does not check that an EC point is on the curve; an off-curve point enables invalid-curve attacks.
        if type == "EC" {
            guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return .failure(KeyProblem("out of memory")) }
            defer { EVP_PKEY_CTX_free(check) }
            guard EVP_PKEY_public_check(check) == 1 else {
                return .failure(KeyProblem("EC point is not on the curve (\(OpenSSLErrorText.drain()))"))
            }
        }
        return .success(made)
    }

    private static func withMemoryBIO(_ bytes: [UInt8], _ body: (OpaquePointer) -> OpaquePointer?)
        -> Result<OpaquePointer?, KeyProblem> {
        bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                return .failure(KeyProblem("out of memory"))
            }
            defer { BIO_free(bio) }
            return .success(body(bio))
        }
    }
}

/// Why a key cannot be used for JWT (wrong type, too small, unreadable PEM).
public struct KeyProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// OpenSSL's queued error, as one line; drained so the next operation on this thread starts clean.
enum OpenSSLErrorText {
    static func drain() -> String {
        var text = ""
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            if text.isEmpty { text = cText(buffer) }
        }
        return text.isEmpty ? "no detail from OpenSSL" : text
    }
}

/// A NUL-terminated buffer filled by C, as a String.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A C string that lives as long as the program: OpenSSL's parameter builder stores parameter names by reference.
func cName(_ name: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}
