/// The keys a token may be checked against. The token never chooses a key of another family: its `kid` picks the key
/// (an unknown id is refused, never a fallback to the others), and the key must then accept its `alg`.
struct JWTKeySet: Sendable {
    var keys: [JWTKey]

    enum Selection {
        case keys([JWTKey])
        case unknownKeyId
        case algorithmNotAllowed
    }

    /// Without a `kid`, every key of the algorithm's family, so a single configured key works for issuers that send none.
    func candidates(for algorithm: JWTAlgorithm, keyId: String?) -> Selection {
        var named = keys
        if let keyId {
            named = keys.filter { $0.id == keyId }
            guard !named.isEmpty else { return .unknownKeyId }
        }
        let usable = named.filter { $0.accepts(algorithm) }
        return usable.isEmpty ? .algorithmNotAllowed : .keys(usable)
    }
}
