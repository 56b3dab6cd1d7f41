// Cryptography for modules (contract 0.3), done by the gateway with OpenSSL so that no module carries its own:
// webhook signatures (Twilio's HMAC-SHA1), hashed one-time codes, random secrets.

public protocol ModuleCrypto: Sendable {
    /// `count` bytes from the operating system's CSPRNG.
    func randomBytes(_ count: Int) -> [UInt8]
    /// A uniformly distributed integer in `0..<upperBound` from the CSPRNG (no modulo bias).
    func randomInteger(below upperBound: Int) -> Int
    func sha256(_ data: [UInt8]) -> [UInt8]
    func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8]
    func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8]
    /// Compares in time that depends only on the lengths (for codes, signatures, tokens).
    func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool
    func base64Encode(_ data: [UInt8]) -> String
    func base64Decode(_ text: String) -> [UInt8]?
}
