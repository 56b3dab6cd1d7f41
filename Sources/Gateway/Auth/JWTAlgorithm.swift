import COpenSSL

/// The JWS algorithms the gateway accepts (RFC 7518 §3.1). `none` and anything else is refused by name.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case es256 = "ES256", es384 = "ES384"

    /// Which kind of key may verify it. A key only ever verifies its own family: this is what defeats algorithm confusion
    /// (an HS256 token "signed" with the RSA public key's bytes finds no secret to be checked against).
    public enum Family: Sendable, Equatable {
        case hmac
        case rsa
        case ecdsa(EllipticCurve)
    }

    public var family: Family {
        switch self {
        case .hs256, .hs384, .hs512: return .hmac
        case .rs256, .rs384, .rs512: return .rsa
        case .es256: return .ecdsa(.p256)
        case .es384: return .ecdsa(.p384)
        }
    }

    var digest: OpaquePointer {
        switch self {
        case .hs256, .rs256, .es256: return EVP_sha256()
        case .hs384, .rs384, .es384: return EVP_sha384()
        case .hs512, .rs512: return EVP_sha512()
        }
    }
}

/// The curves of the ES algorithms; JWK `crv` names and OpenSSL group names.
public enum EllipticCurve: String, Sendable, Equatable {
    case p256 = "P-256", p384 = "P-384"

    /// Static because OpenSSL's parameter builder keeps a pointer to it.
    var groupName: UnsafePointer<CChar> { self == .p256 ? cName("prime256v1") : cName("secp384r1") }
    /// Bytes of one coordinate, and of r and of s in a JOSE signature.
    var coordinateBytes: Int { self == .p256 ? 32 : 48 }

    /// OpenSSL spells P-256 both `prime256v1` and `P-256` depending on how the key was loaded.
    init?(groupName: String) {
        switch groupName {
        case "prime256v1", "P-256", "secp256r1": self = .p256
        case "secp384r1", "P-384": self = .p384
        default: return nil
        }
    }
}
