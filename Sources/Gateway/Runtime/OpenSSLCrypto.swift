import COpenSSL
import Foundation
import GatewayProtocol

/// `ModuleCrypto` on OpenSSL: RAND_bytes, EVP digests and HMAC, CRYPTO_memcmp.
struct OpenSSLCrypto: ModuleCrypto {
    func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, count))
        guard count > 0 else { return bytes }
        let ok = bytes.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed: no entropy source")
        return bytes
    }

    func randomInteger(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "randomInteger(below:) needs a positive bound")
        // Rejection sampling over 64 bits: values past the last whole multiple of the bound are drawn again.
        let bound = UInt64(upperBound)
        let limit = UInt64.max - (UInt64.max % bound)
        while true {
            let value = randomBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if value < limit { return Int(value % bound) }
        }
    }

    func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = data.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        return Array(digest.prefix(Int(length)))
    }

    func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha1(), key: key, data: data) }
    func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), key: key, data: data) }

    private func hmac(_ digest: OpaquePointer?, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                _ = HMAC(digest, k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count,
                         &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    func base64Encode(_ data: [UInt8]) -> String { Data(data).base64EncodedString() }
    func base64Decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map(Array.init) }
}
