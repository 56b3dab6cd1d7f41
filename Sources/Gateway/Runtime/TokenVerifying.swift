import GatewayProtocol

/// Turns a bearer token into the caller's identity, or an error whose message may be shown to the client (it never
/// contains the token). Implemented by the JWT authenticator; tests may use their own.
protocol TokenVerifying: Sendable {
    func identity(fromToken token: String) async throws(TokenRejection) -> Identity
    /// The identity that claims already verified by `identity(fromToken:)` stand for (nil if they no longer map to one,
    /// e.g. after a configuration change): lets a socket keep only its claims and rebuild the rest when it connects.
    func identity(fromVerifiedClaims claims: JSONObject) -> Identity?
}

struct TokenRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// `missing_token` or `invalid_token`: what a client can branch on.
    let code: String
    let message: String
    init(code: String = "invalid_token", _ message: String) {
        self.code = code
        self.message = message
    }
    var description: String { message }

    static let missing = TokenRejection(code: "missing_token", "missing token: send it as auth.token (Socket.IO) or "
                                        + "Authorization: Bearer (REST)")
}
