import GatewayProtocol

/// Makes compact JWS tokens: for the `token` command (development, tests, benchmarks) and for tests of the verifier.
public struct TokenSigner: Sendable {
    public let key: JWTKey
    public let algorithm: JWTAlgorithm

    public init(key: JWTKey, algorithm: JWTAlgorithm? = nil) throws(AuthConfigurationError) {
        let algorithm = algorithm ?? key.defaultAlgorithm
        guard key.accepts(algorithm) else {
            throw AuthConfigurationError("the key cannot sign \(algorithm.rawValue); it signs \(key.defaultAlgorithm.rawValue)")
        }
        self.key = key
        self.algorithm = algorithm
    }

    /// `header.payload.signature`; the header names the key's id when it has one.
    public func sign(_ claims: JSONObject) throws(AuthConfigurationError) -> String {
        var header: JSONObject = ["alg": .string(algorithm.rawValue), "typ": "JWT"]
        if let id = key.id { header["kid"] = .string(id) }
        let input = Base64URL.encode(JSONValue.object(header).serialized) + "."
            + Base64URL.encode(JSONValue.object(claims).serialized)
        guard let signature = key.sign(Array(input.utf8), algorithm: algorithm) else {
            throw AuthConfigurationError("cannot sign with this key (a public key cannot sign; give the private key)")
        }
        return input + "." + Base64URL.encode(signature)
    }
}
