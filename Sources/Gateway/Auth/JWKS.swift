import GatewayProtocol

/// A JSON Web Key Set (RFC 7517) read into keys: RSA (`n`, `e`) and EC (`crv`, `x`, `y`) public keys. Keys meant for
/// encryption (`use: enc`) or of other types are skipped, not fatal: a provider's set commonly mixes them.
enum JWKS {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ bytes: [UInt8]) throws(Problem) -> [JWTKey] {
        guard let document = try? JSONValue.parse(bytes: bytes), case .array(let entries)? = document["keys"] else {
            throw Problem(description: #"JWKS is not a JSON object with a "keys" array"#)
        }
        var keys: [JWTKey] = []
        for (index, entry) in entries.enumerated() {
            guard let object = entry.objectValue else { throw Problem(description: "keys[\(index)] is not an object") }
            if let use = object["use"]?.stringValue, use != "sig" { continue }
            do throws(Problem) {
                if let key = try key(from: object) { keys.append(key) }
            } catch {
                throw Problem(description: "keys[\(index)]: \(error)")
            }
        }
        return keys
    }

    private static func key(from object: JSONObject) throws(Problem) -> JWTKey? {
        let id = object["kid"]?.stringValue
        let made: Result<EVPKey, KeyProblem>
        switch object["kty"]?.stringValue {
        case "RSA":
            made = EVPKey.rsaPublicKey(modulus: try field(object, "n"), exponent: try field(object, "e"))
        case "EC":
            guard let name = object["crv"]?.stringValue, let curve = EllipticCurve(rawValue: name) else {
                return nil // a curve we cannot use (P-521, secp256k1) cannot verify any accepted algorithm
            }
            let x = try field(object, "x"), y = try field(object, "y")
            guard x.count == curve.coordinateBytes, y.count == curve.coordinateBytes else {
                throw Problem(description: "\(name) coordinates must be \(curve.coordinateBytes) bytes each")
            }
            made = EVPKey.ecPublicKey(curve: curve, x: x, y: y)
        default:
            return nil
        }
        do throws(KeyProblem) {
            let key = try JWTKey.asymmetric(try made.get(), id: id)
            // A key that names its algorithm is bound to exactly that one.
            guard let alg = object["alg"]?.stringValue else { return key }
            guard let algorithm = JWTAlgorithm(rawValue: alg), key.accepts(algorithm) else {
                throw KeyProblem("alg \(alg) does not fit the key")
            }
            return key.restricted(to: algorithm)
        } catch {
            throw Problem(description: error.description)
        }
    }

    private static func field(_ object: JSONObject, _ name: String) throws(Problem) -> [UInt8] {
        guard let text = object[name]?.stringValue, let bytes = Base64URL.decode(Array(text.utf8)), !bytes.isEmpty else {
            throw Problem(description: "\(name) is missing or not base64url")
        }
        return bytes
    }
}
