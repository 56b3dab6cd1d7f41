import GatewayProtocol

/// The registered-claim checks of RFC 7519 §4.1 with a leeway for clock skew between the issuer and this host.
struct ClaimValidator: Sendable {
    let issuer: String?
    /// Any one of these must appear in the token's `aud`; empty = `aud` is not checked.
    let audiences: [String]
    let leewaySeconds: Int
    let requireExpiration: Bool

    /// The leeway is applied to `now`, never to the claim: claims come from the client, and `Int.max + 30` would trap.
    func validate(_ claims: JSONObject, now: Int) throws(AuthError) {
        let exp = try numericDate(claims, "exp")
        if let exp {
            // Valid up to and including exp + leeway; one second later it is expired.
            guard now - leewaySeconds <= exp else { throw .expired }
        } else if requireExpiration {
            throw .missingClaim("exp")
        }
        if let nbf = try numericDate(claims, "nbf") {
            guard now + leewaySeconds >= nbf else { throw .notYetValid }
        }
        // A token minted "tomorrow" comes from a broken or hostile issuer.
        if let iat = try numericDate(claims, "iat") {
            guard iat <= now + leewaySeconds else { throw .issuedInFuture }
        }
        if let issuer {
            guard case .string(let iss)? = claims["iss"], iss == issuer else { throw .invalidIssuer }
        }
        if !audiences.isEmpty {
            let tokenAudiences: [String]
            switch claims["aud"] {
            case .string(let single)?: tokenAudiences = [single]
            case .array(let many)?: tokenAudiences = many.compactMap(\.stringValue)
            default: throw .invalidAudience
            }
            guard tokenAudiences.contains(where: audiences.contains) else { throw .invalidAudience }
        }
    }

    /// NumericDate (seconds since the epoch, fractions allowed and floored); anything else is an error, not "absent".
    private func numericDate(_ claims: JSONObject, _ name: String) throws(AuthError) -> Int? {
        guard let value = claims[name] else { return nil }
        switch value {
        case .int(let seconds): return seconds
        case .double(let seconds) where seconds.isFinite && abs(seconds) < 1e15: return Int(seconds.rounded(.down))
        default: throw .invalidClaim(name, "a number of seconds since 1970")
        }
    }
}
