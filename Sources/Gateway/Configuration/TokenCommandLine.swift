import Glibc
import GatewayProtocol

/// `fitmate-gateway token --sub ID [--role R] [--ttl 1h] ...`: a token signed with the gateway's own key, for
/// development, tests and benchmarks. It reads the same configuration as the server (file, environment, flags), so the
/// token verifies against a gateway started with the same configuration and data directory.
public enum TokenCommandLine {
    public struct Request: Equatable, Sendable {
        public var subject: String
        public var role: String?
        public var ttlSeconds = 3600
        public var algorithm: JWTAlgorithm?
        public var privateKeyFile: String?
        public var configPath: String?
        /// Gateway option flags given after `token` (e.g. `--data-dir`), keyed by option key as `GatewayCommandLine` does.
        public var overrides: [String: String] = [:]
    }

    public enum Parsed: Equatable, Sendable {
        case help
        case make(Request)
    }

    /// Longest `--ttl`: a development token that outlives a year is a token someone forgot about.
    public static let maxTTLSeconds = 365 * 86_400

    public static let usage = """
        Usage: fitmate-gateway token --sub ID [--role R] [--ttl 1h] [--alg HS256] [--private-key PATH] [--config PATH] [options]

        Prints a JWT signed with the gateway's configured secret (auth.secret, auth.secretFile, or the secret generated
        in dataDir/jwt-secret), or with --private-key for RS*/ES* set-ups. Reads the same configuration as the server,
        so gateway flags such as --data-dir may follow.

          --sub ID            user id (the auth.userIdClaim claim); required
          --role R            role (the auth.roleClaim claim), e.g. admin or service
          --ttl D             lifetime: 30s, 15m, 1h, 7d (default 1h, at most 365d)
          --alg A             HS256/384/512, RS256/384/512, ES256/384 (default: the key's)
          --private-key PATH  PEM private key to sign with instead of the secret

        """

    public static func parse(_ arguments: [String]) throws(ConfigurationError) -> Parsed {
        var subject: String?
        var request = Request(subject: "")
        var problems: [String] = []
        var seen: Set<String> = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                problems.append("\(argument.debugDescription): unexpected argument; see fitmate-gateway token --help")
                continue
            }
            var flag = argument, value: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                value = arguments[index]
                index += 1
            }
            let own = ["--sub", "--role", "--ttl", "--alg", "--private-key", "--config"]
            let spec = GatewayOptions.byFlag[flag]
            guard own.contains(flag) || spec != nil else {
                problems.append("\(flag): unknown flag\(suggestion(for: flag, among: own + GatewayOptions.byFlag.keys.sorted()))"
                                + "; see fitmate-gateway token --help")
                continue
            }
            guard let value, !value.isEmpty else { problems.append("\(flag): missing value"); continue }
            guard seen.insert(flag).inserted else { problems.append("\(flag): given more than once"); continue }
            switch flag {
            case "--sub": subject = value
            case "--role": request.role = value
            case "--ttl":
                guard let seconds = ttlSeconds(value) else {
                    problems.append("--ttl: must be a positive duration with a unit (30s, 15m, 1h, 7d) of at most 365d, "
                                    + "got \(value.debugDescription)")
                    continue
                }
                request.ttlSeconds = seconds
            case "--alg":
                guard let algorithm = JWTAlgorithm(rawValue: value.uppercased()) else {
                    problems.append("--alg: must be one of "
                                    + JWTAlgorithm.allCases.map(\.rawValue).joined(separator: ", ") + ", got \(value.debugDescription)")
                    continue
                }
                request.algorithm = algorithm
            case "--private-key": request.privateKeyFile = value
            case "--config": request.configPath = value
            default: request.overrides[spec!.key] = value
            }
        }
        if subject == nil && !problems.contains(where: { $0.hasPrefix("--sub") }) { problems.append("--sub: required") }
        guard problems.isEmpty, let subject else { throw ConfigurationError(problems: problems) }
        request.subject = subject
        return .make(request)
    }

    /// "30s", "15m", "1h", "7d" -> seconds; nil for anything else, zero, or more than `maxTTLSeconds`.
    public static func ttlSeconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow || seconds > maxTTLSeconds ? nil : seconds
    }

    /// Why a token could not be made once the arguments were fine (a key that cannot sign, an unreadable file).
    public struct SigningFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The signed token. Loading the configuration may create the zero-config secret, exactly as starting would.
    public static func makeToken(_ request: Request, environment: [String: String],
                                 now: Int = time(nil)) throws -> String {
        let configuration = try GatewayCommandLine.load(configPath: request.configPath, environment: environment,
                                                        flagOverrides: request.overrides)
        let settings = configuration.auth
        let key: JWTKey
        if let path = request.privateKeyFile {
            guard let file = fopen(path, "rb") else {
                throw SigningFailure(description: "--private-key \(path): \(String(cString: strerror(errno)))")
            }
            var pem: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while case let count = fread(&buffer, 1, buffer.count, file), count > 0 { pem += buffer[..<count] }
            fclose(file)
            do throws(KeyProblem) {
                key = try JWTKey.privateKey(pem: pem, id: settings.keyId)
            } catch {
                throw SigningFailure(description: "--private-key \(path): \(error)")
            }
        } else {
            // The JWKS is never fetched to sign, so no HTTP client is needed: only the secret matters here.
            let authenticator = try Authenticator.make(configuration: configuration,
                                                       fetch: { _ in throw SigningFailure(description: "not fetched") })
            guard let secret = authenticator.secretKey else {
                throw SigningFailure(description: "the configured keys are public keys, which cannot sign; "
                                     + "give the matching private key with --private-key PATH")
            }
            key = secret
        }
        var claims: JSONObject = [:]
        claims[settings.userIdClaim] = .string(request.subject)
        if let role = request.role { claims[settings.roleClaim] = .string(role) }
        if let issuer = settings.issuer { claims["iss"] = .string(issuer) }
        if let audience = settings.audience.first { claims["aud"] = .string(audience) }
        claims["iat"] = .int(now)
        claims["exp"] = .int(now + request.ttlSeconds)
        return try TokenSigner(key: key, algorithm: request.algorithm).sign(claims)
    }
}
