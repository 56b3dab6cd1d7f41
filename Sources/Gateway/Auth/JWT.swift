import GatewayProtocol

/// A compact JWS split into its parts, with the header read but nothing verified yet.
struct JWT: Sendable {
    let algorithm: JWTAlgorithm
    let keyId: String?
    /// `header.payload` as sent: the bytes the signature covers.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]
    let claims: JSONObject

    /// Strict decoding: exactly three segments, canonical base64url, JSON objects for header and payload, a known `alg`.
    /// The size limit is checked first so a huge token costs nothing to refuse.
    static func decode(_ token: String, maxBytes: Int) throws(AuthError) -> JWT {
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty else { throw .missingToken }
        guard bytes.count <= maxBytes else { throw .tokenTooLarge(maxBytes: maxBytes) }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw .malformed("expected 3 dot-separated parts, got \(segments.count)")
        }
        guard let headerBytes = Base64URL.decode(segments[0]) else { throw .malformed("header is not base64url") }
        guard let payloadBytes = Base64URL.decode(segments[1]) else { throw .malformed("payload is not base64url") }
        guard let signature = Base64URL.decode(segments[2]) else { throw .malformed("signature is not base64url") }

        guard let header = try? JSONValue.parse(bytes: headerBytes).objectValue else {
            throw .malformed("header is not a JSON object")
        }
        guard case .string(let name)? = header["alg"] else { throw .malformed("header has no alg") }
        guard let algorithm = JWTAlgorithm(rawValue: name) else { throw .unsupportedAlgorithm(name) }
        // `crit` names extensions the verifier must understand; we understand none, so RFC 7515 §4.1.11 says refuse.
        guard header["crit"] == nil else { throw .malformed("crit header extensions are not supported") }
        if let typ = header["typ"] {
            guard case .string(let type) = typ, ["jwt", "at+jwt", "application/jwt"].contains(type.lowercased()) else {
                throw .malformed("typ must be JWT")
            }
        }
        var keyId: String?
        if let kid = header["kid"] {
            guard case .string(let id) = kid else { throw .malformed("kid must be a string") }
            keyId = id
        }
        guard let claims = try? JSONValue.parse(bytes: payloadBytes).objectValue else {
            throw .malformed("payload is not a JSON object")
        }
        let signedLength = segments[0].count + 1 + segments[1].count
        return JWT(algorithm: algorithm, keyId: keyId, signingInput: bytes[..<signedLength], signature: signature,
                   claims: claims)
    }
}
