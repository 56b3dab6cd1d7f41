extension GatewayConfiguration {
    /// JWT authentication. With no key source set (`secret`, `secretFile`, `publicKeyFile`, `jwksUrl`), the gateway makes
    /// its own HS256 secret under `dataDir` (see `DevelopmentSecret`).
    public struct AuthSettings: Sendable, Equatable {
        public var secret: String?
        public var secretFile: String?
        public var publicKeyFile: String?
        /// The `kid` of the configured secret or public key; nil = tokens without `kid` only (or any, when they name none).
        public var keyId: String?
        public var jwksUrl: String?
        public var jwksCacheTtlMs = 600_000
        public var jwksMinRefetchIntervalMs = 30_000
        public var issuer: String?
        /// Accepted audiences; a token must name one of them. Empty = `aud` not checked.
        public var audience: [String] = []
        public var leewaySeconds = 30
        public var requireExpiration = true
        public var userIdClaim = "sub"
        public var roleClaim = "role"
        public var serviceRole = "service"
        public var adminRole = "admin"
        public var maxTokenBytes = 8192
        public init() {}

        /// Whether any key source is configured; if not, the zero-config secret is used.
        public var hasKeySource: Bool { secret != nil || secretFile != nil || publicKeyFile != nil || jwksUrl != nil }
    }
}

extension GatewayOptions {
    static let authOptions: [OptionSpec] = [
        OptionSpec("auth.secret", env: "GATEWAY_JWT_SECRET", kind: .string, default: nil,
                   help: "HS256/384/512 secret (at least 32 bytes). No flag: command lines are visible to every local user. "
                       + "With no key configured, a secret is generated in dataDir/jwt-secret.",
                   validate: validateSecret) { $0.configuration.auth.secret = $1.string },
        OptionSpec("auth.secretFile", env: "GATEWAY_JWT_SECRET_FILE", flag: "--jwt-secret-file", kind: .path, default: nil,
                   help: "File holding the HMAC secret (one trailing newline is ignored).") {
            $0.configuration.auth.secretFile = $1.string
        },
        OptionSpec("auth.publicKeyFile", env: "GATEWAY_JWT_PUBLIC_KEY_FILE", flag: "--jwt-public-key", kind: .path,
                   default: nil, help: "PEM public key or certificate (RSA for RS*, EC P-256/P-384 for ES256/ES384).") {
            $0.configuration.auth.publicKeyFile = $1.string
        },
        OptionSpec("auth.keyId", env: "GATEWAY_JWT_KEY_ID", kind: .string, default: nil,
                   help: "kid of the configured secret or public key; tokens naming another kid are refused.") {
            $0.configuration.auth.keyId = $1.string
        },
        OptionSpec("auth.jwksUrl", env: "GATEWAY_JWKS_URL", flag: "--jwks-url", kind: .string, default: nil,
                   help: "https URL of a JSON Web Key Set (RSA and EC keys), fetched on first use and cached.",
                   validate: validateJWKSURL) { $0.configuration.auth.jwksUrl = $1.string },
        OptionSpec("auth.jwksCacheTtlMs", kind: .durationMs(1_000...maxDurationMs), default: .int(600_000),
                   help: "How long fetched JWKS keys are used before being fetched again.") {
            $0.configuration.auth.jwksCacheTtlMs = $1.int
        },
        OptionSpec("auth.jwksMinRefetchIntervalMs", kind: .durationMs(0...maxDurationMs), default: .int(30_000),
                   help: "A token with an unknown kid triggers a JWKS fetch at most this often.") {
            $0.configuration.auth.jwksMinRefetchIntervalMs = $1.int
        },
        OptionSpec("auth.issuer", env: "GATEWAY_JWT_ISSUER", flag: "--jwt-issuer", kind: .string, default: nil,
                   help: "Required iss claim; unset = not checked.") { $0.configuration.auth.issuer = $1.string },
        OptionSpec("auth.audience", env: "GATEWAY_JWT_AUDIENCE", flag: "--jwt-audience", kind: .stringList,
                   default: .strings([]), help: "Accepted aud values (the token must name one); empty = not checked.") {
            $0.configuration.auth.audience = $1.strings
        },
        OptionSpec("auth.leewaySeconds", env: "GATEWAY_JWT_LEEWAY_SECONDS", kind: .int(0...3600), default: .int(30),
                   help: "Clock skew allowed when checking exp, nbf and iat.") {
            $0.configuration.auth.leewaySeconds = $1.int
        },
        OptionSpec("auth.requireExpiration", kind: .bool, default: .bool(true),
                   help: "Refuse tokens without exp (a token that never expires cannot be revoked by waiting).") {
            $0.configuration.auth.requireExpiration = $1.bool
        },
        OptionSpec("auth.userIdClaim", kind: .string, default: .string("sub"),
                   help: "Claim holding the user id (a string or an integer).") { $0.configuration.auth.userIdClaim = $1.string },
        OptionSpec("auth.roleClaim", kind: .string, default: .string("role"),
                   help: "Claim holding the role.") { $0.configuration.auth.roleClaim = $1.string },
        OptionSpec("auth.serviceRole", kind: .string, default: .string("service"),
                   help: "Role of FitMate's backend in service-to-service calls.") { $0.configuration.auth.serviceRole = $1.string },
        OptionSpec("auth.adminRole", kind: .string, default: .string("admin"),
                   help: "Role of administrators.") { $0.configuration.auth.adminRole = $1.string },
        OptionSpec("auth.maxTokenBytes", kind: .int(128...1_000_000), default: .int(8192),
                   help: "Longer tokens are refused before any parsing.") { $0.configuration.auth.maxTokenBytes = $1.int },
    ]

    static let validateSecret: @Sendable (OptionValue) -> ParseFailure? = { value in
        let length = value.string.utf8.count
        guard length >= JWTKey.minimumSecretBytes else {
            // The secret itself is never echoed: the message goes to logs.
            return ParseFailure(message: "must be at least \(JWTKey.minimumSecretBytes) bytes, got \(length) "
                                + "(make one with `openssl rand -base64 48`)")
        }
        return nil
    }

    /// Plain http would let anyone on the path swap the keys, so it is accepted for the loopback host only (tests, a
    /// local identity provider).
    static let validateJWKSURL: @Sendable (OptionValue) -> ParseFailure? = { value in
        let url = value.string.lowercased()
        let loopback = ["http://localhost", "http://127.0.0.1", "http://[::1]"].contains { prefix in
            url.hasPrefix(prefix) && [nil, ":", "/"].contains(url.dropFirst(prefix.count).first.map(String.init))
        }
        guard url.hasPrefix("https://") || loopback, !url.contains(" ") else {
            return ParseFailure(message: "must be an https URL (http only for localhost), got \(value.string.debugDescription)")
        }
        return nil
    }
}
