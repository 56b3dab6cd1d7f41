// Auth/: JWT authentication for sockets and REST. `Authenticator` is the entry point; `JWT` decodes strictly; `JWTKey`
// and `JWTKeySet` bind each key to its algorithm family (what defeats algorithm confusion) and verify through OpenSSL EVP;
// `ClaimValidator` checks exp/nbf/iat/iss/aud; `JWKS` and `JWKSCache` read key sets from a URL; `DevelopmentSecret` is
// the zero-config secret; `TokenSigner` makes tokens for the `token` command and tests. Keys in a token's header
// (`jwk`, `jku`, `x5u`, `x5c`) are never used: only configured keys verify.

import Glibc
import GatewayProtocol

/// Verifies bearer tokens (Socket.IO `handshake.auth.token`, REST `Authorization: Bearer`) against the configured keys
/// and turns them into the caller's `Identity`. Safe to share between loops.
public final class Authenticator: Sendable {
    private let keys: JWTKeySet
    private let jwks: JWKSCache?
    private let claims: ClaimValidator
    private let settings: GatewayConfiguration.AuthSettings
    /// The configured (or generated) secret, which the `token` command signs with; nil when only public keys are set.
    public let secretKey: JWTKey?

    init(settings: GatewayConfiguration.AuthSettings, keys: [JWTKey], jwks: JWKSCache?) {
        self.settings = settings
        self.keys = JWTKeySet(keys: keys)
        self.jwks = jwks
        secretKey = keys.first { $0.accepts(.hs256) }
        claims = ClaimValidator(issuer: settings.issuer, audiences: settings.audience,
                                leewaySeconds: settings.leewaySeconds, requireExpiration: settings.requireExpiration)
    }

    /// Builds the key set from `configuration.auth`: the secret (or secret file), the PEM public key and the JWKS URL,
    /// all usable together; with none of them, the generated secret under `configuration.dataDir`. `fetch` is needed
    /// only with `auth.jwksUrl`.
    public static func make(configuration: GatewayConfiguration,
                            fetch: JWKSFetch? = nil) throws(AuthConfigurationError) -> Authenticator {
        let settings = configuration.auth
        var keys: [JWTKey] = []
        switch (settings.secret, settings.secretFile) {
        case (_?, _?):
            throw AuthConfigurationError("auth.secret and auth.secretFile are both set; keep one")
        case (let secret?, nil):
            keys.append(.secret(Array(secret.utf8), id: settings.keyId))
        case (nil, let path?):
            guard let secret = try SecretFile.read(path, origin: "auth.secretFile", mustBePrivate: false) else {
                throw AuthConfigurationError("auth.secretFile \(path): no such file")
            }
            keys.append(.secret(secret, id: settings.keyId))
        case (nil, nil):
            break
        }
        if let path = settings.publicKeyFile {
            do throws(KeyProblem) {
                keys.append(try .publicKey(pem: try readPEM(path), id: settings.keyId))
            } catch {
                throw AuthConfigurationError("auth.publicKeyFile \(path): \(error)")
            }
        }
        var cache: JWKSCache?
        if let url = settings.jwksUrl {
            guard let fetch else {
                throw AuthConfigurationError("auth.jwksUrl is set but this gateway was started without an HTTP client")
            }
            cache = JWKSCache(url: url, fetch: fetch, ttlSeconds: Double(settings.jwksCacheTtlMs) / 1000,
                              minRefetchSeconds: Double(settings.jwksMinRefetchIntervalMs) / 1000)
        }
        if !settings.hasKeySource {
            keys.append(.secret(try DevelopmentSecret.loadOrCreate(dataDir: configuration.dataDir), id: settings.keyId))
        }
        return Authenticator(settings: settings, keys: keys, jwks: cache)
    }

    /// The identity in `token`, or why it is refused. `now` is seconds since 1970 (tests pass their own).
    public func verify(token: String?, now: Int? = nil) async throws(AuthError) -> Identity {
        guard let token, !token.isEmpty else { throw .missingToken }
        let jwt = try JWT.decode(token, maxBytes: settings.maxTokenBytes)
        let candidates = try await keys(for: jwt)
        guard candidates.contains(where: { $0.verify(jwt.signature, of: jwt.signingInput, algorithm: jwt.algorithm) }) else {
            throw .invalidSignature
        }
        try claims.validate(jwt.claims, now: now ?? time(nil))
        return try identity(from: jwt.claims)
    }

    private func keys(for jwt: JWT) async throws(AuthError) -> [JWTKey] {
        var set = keys
        if let jwks { set.keys += try await jwks.keys() }
        var selection = set.candidates(for: jwt.algorithm, keyId: jwt.keyId)
        if case .unknownKeyId = selection, let jwks {
            // Keys rotate: a new kid may be in a fresher copy of the set.
            set.keys = keys.keys + (try await jwks.keys(missingKeyId: jwt.keyId))
            selection = set.candidates(for: jwt.algorithm, keyId: jwt.keyId)
        }
        switch selection {
        case .keys(let found): return found
        case .unknownKeyId: throw .unknownKeyId
        case .algorithmNotAllowed: throw .algorithmNotAllowed(jwt.algorithm.rawValue)
        }
    }

    private func identity(from claims: JSONObject) throws(AuthError) -> Identity {
        let userId: String
        switch claims[settings.userIdClaim] {
        case .string(let id)? where !id.isEmpty: userId = id
        case .int(let id)?: userId = String(id)
        case nil: throw .missingClaim(settings.userIdClaim)
        default: throw .invalidClaim(settings.userIdClaim, "a non-empty string or an integer")
        }
        let role: String
        switch claims[settings.roleClaim] {
        case .string(let name)?: role = name
        case nil, .null?: role = ""
        default: throw .invalidClaim(settings.roleClaim, "a string")
        }
        return Identity(userId: userId, role: role, claims: claims,
                        isAdmin: role == settings.adminRole, isService: role == settings.serviceRole)
    }

    private static func readPEM(_ path: String) throws(KeyProblem) -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw KeyProblem(String(cString: strerror(errno))) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&buffer, 1, buffer.count, file), count > 0 {
            bytes += buffer[..<count]
            guard bytes.count <= 1_048_576 else { throw KeyProblem("larger than 1 MiB; not a PEM key") }
        }
        return bytes
    }
}

extension Authenticator: TokenVerifying {
    func identity(fromToken token: String) async throws(TokenRejection) -> Identity {
        do throws(AuthError) {
            return try await verify(token: token)
        } catch {
            throw error == .missingToken ? .missing : TokenRejection(code: error.code, error.message)
        }
    }

    func identity(fromVerifiedClaims claims: JSONObject) -> Identity? { try? identity(from: claims) }
}
