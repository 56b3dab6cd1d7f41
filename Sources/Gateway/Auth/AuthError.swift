/// Why a token was refused. `message` is safe to show to the client (Socket.IO CONNECT_ERROR, REST 401): it says what is
/// wrong with the token and never contains the token or any part of it.
public enum AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingToken
    case tokenTooLarge(maxBytes: Int)
    case malformed(String)
    case unsupportedAlgorithm(String)
    /// The algorithm is known but no configured key may verify it (e.g. HS256 while only an RSA key is configured).
    case algorithmNotAllowed(String)
    case unknownKeyId
    case invalidSignature
    case expired
    case notYetValid
    case issuedInFuture
    case invalidIssuer
    case invalidAudience
    case missingClaim(String)
    case invalidClaim(String, String)
    /// The JWKS could not be fetched or read, so no key is available; the client may retry later.
    case keysUnavailable(String)

    public var message: String {
        switch self {
        case .missingToken: return "missing token"
        case .tokenTooLarge(let max): return "token too large (more than \(max) bytes)"
        case .malformed(let reason): return "malformed token: \(reason)"
        case .unsupportedAlgorithm(let alg): return "unsupported algorithm \(Self.printable(alg))"
        case .algorithmNotAllowed(let alg): return "algorithm \(alg) is not accepted by this server"
        case .unknownKeyId: return "unknown key id"
        case .invalidSignature: return "invalid signature"
        case .expired: return "token expired"
        case .notYetValid: return "token not yet valid"
        case .issuedInFuture: return "token issued in the future"
        case .invalidIssuer: return "invalid issuer"
        case .invalidAudience: return "invalid audience"
        case .missingClaim(let name): return "token has no \(Self.printable(name)) claim"
        case .invalidClaim(let name, let expectation): return "claim \(Self.printable(name)) must be \(expectation)"
        case .keysUnavailable(let reason): return "signing keys unavailable: \(reason)"
        }
    }

    /// `missing_token` or `invalid_token`, what a client branches on (the codes of RFC 6750 where they fit).
    public var code: String {
        switch self {
        case .missingToken: return "missing_token"
        case .keysUnavailable: return "temporarily_unavailable"
        default: return "invalid_token"
        }
    }

    public var description: String { message }

    /// Header values come from the client; cut and strip them so a hostile `alg` cannot flood a log line or an error.
    private static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
        return cleaned.count > 32 ? String(cleaned.prefix(32)) + "..." : cleaned
    }
}
