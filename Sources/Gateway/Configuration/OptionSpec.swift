/// Where a value came from; every error message names it so the operator knows which of file/env/flag to fix.
enum ValueSource: Sendable, Equatable, CustomStringConvertible {
    case defaultValue
    case file(String)
    case environment(String)
    case flag(String)

    var description: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path): return "from config file \(path)"
        case .environment(let name): return "from \(name)"
        case .flag(let flag): return "from \(flag)"
        }
    }
}

/// A parsed, validated option value; its case always matches the option's kind.
enum OptionValue: Sendable, Equatable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case strings([String])
    case pairs([GatewayConfiguration.CertificatePair])

    // The kind has been checked by the parser, so a mismatch here is a bug in the option table.
    var int: Int { if case .int(let v) = self { return v }; preconditionFailure("option value is not an int: \(self)") }
    var bool: Bool { if case .bool(let v) = self { return v }; preconditionFailure("option value is not a bool: \(self)") }
    var string: String { if case .string(let v) = self { return v }; preconditionFailure("option value is not a string: \(self)") }
    var strings: [String] { if case .strings(let v) = self { return v }; preconditionFailure("option value is not a list: \(self)") }
    var pairs: [GatewayConfiguration.CertificatePair] {
        if case .pairs(let v) = self { return v }; preconditionFailure("option value is not certificate pairs: \(self)")
    }

    var helpText: String {
        switch self {
        case .int(let v): return String(v)
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return v.debugDescription
        case .strings(let v): return "[" + v.map(\.debugDescription).joined(separator: ", ") + "]"
        case .pairs(let v): return v.isEmpty ? "[]" : "\(v.count) pairs"
        }
    }
}

/// The raw input before parsing: text from env/flags, JSON from the file. Kinds accept both where it makes sense.
enum RawValue {
    case text(String)
    case json(ConfigValue)

    var rendered: String {
        switch self {
        case .text(let s): return s.debugDescription
        case .json(let v): return v.rendered
        }
    }
}

/// Why a raw value was refused. `keySuffix` lets a list point at the bad element (`tls.sni[1].key`).
struct ParseFailure: Error {
    var keySuffix = ""
    var message: String
}

enum OptionKind: Sendable {
    case int(ClosedRange<Int>)
    case bool
    case string
    case path
    case stringList
    case durationMs(ClosedRange<Int>)
    case enumeration([String])
    /// `[{"certificate": PATH, "key": PATH}]`; only expressible in the file.
    case certificatePairs

    /// Finishes "must be ..." in errors and describes the accepted values in `--help`.
    var expectation: String {
        switch self {
        case .int(let range): return Self.describe(range, unit: "", noun: "integer")
        case .durationMs(let range):
            return Self.describe(range, unit: " ms", noun: "duration") + " (milliseconds, or with a unit: 500ms, 10s, 5m, 1h)"
        case .bool: return "true or false"
        case .string: return "a non-empty string"
        case .path: return "a non-empty path"
        case .stringList: return "a list of strings (comma-separated in env and flags)"
        case .enumeration(let values): return "one of " + values.joined(separator: ", ")
        case .certificatePairs: return #"a list of {"certificate": PATH, "key": PATH} objects"#
        }
    }

    private static func describe(_ range: ClosedRange<Int>, unit: String, noun: String) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (1, Int.max): return "a positive \(noun)"
        case (0, Int.max): return "a non-negative \(noun)"
        case (let low, Int.max): return "a\(noun == "integer" ? "n" : "") \(noun) of at least \(low)\(unit)"
        case (let low, let high): return "a\(noun == "integer" ? "n" : "") \(noun) in \(low)...\(high)\(unit)"
        }
    }

    func parse(_ raw: RawValue) -> Result<OptionValue, ParseFailure> {
        let refused = ParseFailure(message: "must be \(expectation), got \(raw.rendered)")
        switch self {
        case .int(let range):
            guard let value = Self.integer(raw), range.contains(value) else { return .failure(refused) }
            return .success(.int(value))

        case .durationMs(let range):
            let value: Int?
            switch raw {
            case .text(let text): value = Self.milliseconds(text)
            case .json(.string(let text)): value = Self.milliseconds(text)
            case .json(let json): value = json.intValue
            }
            guard let value, range.contains(value) else { return .failure(refused) }
            return .success(.int(value))

        case .bool:
            switch raw {
            case .json(.bool(let b)): return .success(.bool(b))
            // Env and flags are text; accept the spellings shells and compose files commonly use.
            case .text(let text):
                switch text.trimmed.lowercased() {
                case "true", "1", "yes", "on": return .success(.bool(true))
                case "false", "0", "no", "off": return .success(.bool(false))
                default: return .failure(refused)
                }
            case .json: return .failure(refused)
            }

        case .string, .path:
            guard let text = Self.text(raw), !text.trimmed.isEmpty, !text.contains("\0") else { return .failure(refused) }
            return .success(.string(text))

        case .enumeration(let values):
            // Case-insensitive because `INFO` in an env file is an obvious intent, not a typo.
            guard let text = Self.text(raw), let match = values.first(where: { $0 == text.trimmed.lowercased() }) else {
                return .failure(refused)
            }
            return .success(.string(match))

        case .stringList:
            switch raw {
            case .text(let text):
                return .success(.strings(text.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }))
            case .json(.array(let items)):
                var strings: [String] = []
                for (index, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        return .failure(ParseFailure(keySuffix: "[\(index)]", message: "must be a string, got \(item.rendered)"))
                    }
                    strings.append(s)
                }
                return .success(.strings(strings))
            case .json: return .failure(refused)
            }

        case .certificatePairs:
            guard case .json(.array(let items)) = raw else { return .failure(refused) }
            var pairs: [GatewayConfiguration.CertificatePair] = []
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item else {
                    return .failure(ParseFailure(keySuffix: "[\(index)]",
                                                 message: #"must be {"certificate": PATH, "key": PATH}, got "# + item.rendered))
                }
                if let unknown = object.keys.sorted().first(where: { $0 != "certificate" && $0 != "key" }) {
                    return .failure(ParseFailure(keySuffix: "[\(index)].\(unknown)",
                                                 message: "unknown key" + suggestion(for: unknown, among: ["certificate", "key"])))
                }
                var paths: [String] = []
                for field in ["certificate", "key"] {
                    guard let value = object[field] else {
                        return .failure(ParseFailure(keySuffix: "[\(index)].\(field)", message: "is missing"))
                    }
                    guard case .success(.string(let path)) = OptionKind.path.parse(.json(value)) else {
                        return .failure(ParseFailure(keySuffix: "[\(index)].\(field)",
                                                     message: "must be a non-empty path, got \(value.rendered)"))
                    }
                    paths.append(path)
                }
                pairs.append(.init(certificate: paths[0], key: paths[1]))
            }
            return .success(.pairs(pairs))
        }
    }

    /// The file must hold a JSON number for an integer: a quoted "3000" there is most likely a templating slip.
    private static func integer(_ raw: RawValue) -> Int? {
        switch raw {
        case .text(let text): return Int(text.trimmed)
        case .json(let json): return json.intValue
        }
    }

    private static func text(_ raw: RawValue) -> String? {
        switch raw {
        case .text(let text): return text
        case .json(.string(let text)): return text
        case .json: return nil
        }
    }

    /// "10000", "500ms", "10s", "5m", "1h" -> milliseconds; nil on anything else or on overflow.
    static func milliseconds(_ text: String) -> Int? {
        let text = text.trimmed.lowercased()
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let number = Int(digits) else { return nil }
        let scale: Int
        switch text.dropFirst(digits.count) {
        case "", "ms": scale = 1
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        default: return nil
        }
        let (result, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : result
    }
}

/// One row of the option table: the single description of an option used for file keys, env names, flags,
/// validation, defaults and `--help`, so none of them can drift from the others.
struct OptionSpec: Sendable {
    /// Dotted path in the JSON file, e.g. `http.maxBodyBytes`.
    let key: String
    let env: String?
    /// With the leading dashes, e.g. `--max-body-bytes`.
    let flag: String?
    let kind: OptionKind
    /// nil = unset by default (e.g. the TLS certificate).
    let defaultValue: OptionValue?
    let help: String
    /// Checks beyond the kind (e.g. the shape of a CORS origin); returns the problem, or nil when fine.
    let validate: (@Sendable (OptionValue) -> ParseFailure?)?
    let apply: @Sendable (inout ConfigurationDraft, OptionValue) -> Void

    init(_ key: String, env: String? = nil, flag: String? = nil, kind: OptionKind, default defaultValue: OptionValue?,
         help: String, validate: (@Sendable (OptionValue) -> ParseFailure?)? = nil,
         apply: @escaping @Sendable (inout ConfigurationDraft, OptionValue) -> Void) {
        self.key = key
        self.env = env
        self.flag = flag
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.validate = validate
        self.apply = apply
    }

    func parse(_ raw: RawValue) -> Result<OptionValue, ParseFailure> {
        switch kind.parse(raw) {
        case .failure(let failure): return .failure(failure)
        case .success(let value):
            if let failure = validate?(value) { return .failure(failure) }
            return .success(value)
        }
    }
}

extension String {
    var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// " (did you mean X?)" for the likely intended candidate, else "". Typos are the usual cause of unknown keys and
/// flags, so naming the intent saves a trip to `--help`.
func suggestion(for word: String, among candidates: [String]) -> String {
    let lowered = word.lowercased()
    let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }
    if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 4) {
        return " (did you mean \(best.0)?)"
    }
    // Abbreviations ("cert") and over-long spellings ("--tls-certificate" for "--tls-cert") are far in edit
    // distance, yet their intent is plain.
    if word.count >= 3, let match = candidates.first(where: { $0.lowercased().hasPrefix(lowered) })
        ?? candidates.first(where: { $0.count >= 4 && lowered.hasPrefix($0.lowercased()) }) {
        return " (did you mean \(match)?)"
    }
    return ""
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
