import COpenSSL

/// JOSE sends an ECDSA signature as r||s, each padded to the curve's size (RFC 7518 §3.4); OpenSSL speaks DER. A JOSE
/// signature of any other length is refused rather than guessed at.
enum ECDSASignatureFormat {
    static func der(fromJOSE raw: [UInt8], curve: EllipticCurve) -> [UInt8]? {
        let half = curve.coordinateBytes
        guard raw.count == 2 * half, let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        guard let r = BN_bin2bn(raw, Int32(half), nil) else { return nil }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }
        guard let s else { BN_free(r); return nil }
        // set0 takes ownership of r and s.
        guard ECDSA_SIG_set0(signature, r, s) == 1 else { BN_free(r); BN_free(s); return nil }
        let length = i2d_ECDSA_SIG(signature, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_ECDSA_SIG(signature, &cursor)
        }
        return written == length ? der : nil
    }

    static func jose(fromDER der: [UInt8], curve: EllipticCurve) -> [UInt8]? {
        let decoded = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let decoded else { return nil }
        defer { ECDSA_SIG_free(decoded) }
        let half = curve.coordinateBytes
        var raw = [UInt8](repeating: 0, count: 2 * half)
        let ok = raw.withUnsafeMutableBufferPointer { buffer in
            BN_bn2binpad(ECDSA_SIG_get0_r(decoded), buffer.baseAddress, Int32(half)) == half
                && BN_bn2binpad(ECDSA_SIG_get0_s(decoded), buffer.baseAddress! + half, Int32(half)) == half
        }
        return ok ? raw : nil
    }
}
