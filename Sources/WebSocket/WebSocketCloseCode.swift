/// Close status codes (RFC 6455 §7.4) and the rule for which ones a peer may put on the wire.
public enum WebSocketCloseCode {
    public static let normalClosure: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    /// 1005 and 1006 exist only for APIs ("no code", "abnormal"); never sent.
    public static let noStatusReceived: UInt16 = 1005
    public static let abnormalClosure: UInt16 = 1006
    public static let invalidPayloadData: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let mandatoryExtension: UInt16 = 1010
    public static let internalError: UInt16 = 1011

    /// Whether `code` may appear in a received Close frame.
    ///
    /// 1012 (Service Restart), 1013 (Try Again Later) and 1014 (Bad Gateway) are not in RFC 6455 but are
    /// registered in the IANA "WebSocket Close Code Number Registry", so real servers send them and we accept
    /// them. The Autobahn suite agrees: its case 7.9.x invalid list is 0, 999, 1004, 1005, 1006, 1016, 1100,
    /// 2000, 2999 (older releases also listed 1012–1014; they were removed). 1015 (TLS failure) is API-only,
    /// like 1005/1006. 1016–2999 are reserved for future RFCs, 3000–3999 for registered libraries/frameworks,
    /// 4000–4999 for private use; ≥ 5000 is undefined.
    @inlinable public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
