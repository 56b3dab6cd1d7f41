import Foundation

/// Assembles the configuration: table defaults < file < environment < flags, collecting every problem on the way.
enum ConfigurationLoader {
    static func defaults() -> GatewayConfiguration {
        var assembly = Assembly()
        return assembly.finish()
    }

    static func load(configPath: String?, environment: [String: String],
                     flagOverrides: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        var assembly = Assembly()
        if let configPath { assembly.readFile(at: configPath) }

        for spec in GatewayOptions.all {
            // An empty variable counts as unset: compose files and `env -u`-less scripts pass `VAR=` for "not given".
            guard let name = spec.env, let text = environment[name], !text.isEmpty else { continue }
            assembly.set(spec, .text(text), from: .environment(name))
        }

        for spec in GatewayOptions.all {
            guard let text = flagOverrides[spec.key] else { continue }
            assembly.set(spec, .text(text), from: .flag(spec.flag ?? "command line"))
        }
        for key in flagOverrides.keys.sorted() where GatewayOptions.byKey[key] == nil {
            assembly.problems.append("\(key): unknown option (from command line)")
        }

        let configuration = assembly.finish()
        guard assembly.problems.isEmpty else { throw ConfigurationError(problems: assembly.problems) }
        return configuration
    }

    private struct Assembly {
        var draft = ConfigurationDraft()
        var sources: [String: ValueSource] = [:]
        /// Keys whose value was refused; cross-field checks skip them so one mistake is not reported twice.
        var failed: Set<String> = []
        var problems: [String] = []

        init() {
            for spec in GatewayOptions.all {
                if let value = spec.defaultValue { spec.apply(&draft, value) }
            }
        }

        mutating func set(_ spec: OptionSpec, _ raw: RawValue, from source: ValueSource) {
            switch spec.parse(raw) {
            case .success(let value):
                spec.apply(&draft, value)
                sources[spec.key] = source
                failed.remove(spec.key)
            case .failure(let failure):
                problems.append("\(spec.key)\(failure.keySuffix): \(failure.message) (\(source))")
                failed.insert(spec.key)
            }
        }

        // MARK: File

        mutating func readFile(at path: String) {
            let source = ValueSource.file(path)
            let data: Data
            switch Self.readAll(path) {
            case .success(let contents): data = contents
            case .failure(let failure):
                problems.append("config file \(path): cannot read: \(failure)")
                return
            }
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            } catch {
                problems.append("config file \(path): invalid JSON: \(Self.jsonProblem(error, in: data))")
                return
            }
            guard case .object(let root) = ConfigValue(foundation: parsed) else {
                problems.append("config file \(path): must hold a JSON object at the top level, "
                                + "got \(ConfigValue(foundation: parsed).rendered)")
                return
            }

            var values: [String: ConfigValue] = [:]
            collect(root, prefix: "", into: &values, source: source)
            for spec in GatewayOptions.all {
                // null reads as "not set", so a generated file can blank an option without deleting its line.
                guard let value = values[spec.key], value != .null else { continue }
                set(spec, .json(value), from: source)
            }
        }

        /// Walks the file's objects, routing option values to `values` and flagging every key the table does not know;
        /// a misspelt key silently falling back to its default is exactly the mistake this guards against.
        private mutating func collect(_ object: [String: ConfigValue], prefix: String,
                                      into values: inout [String: ConfigValue], source: ValueSource) {
            for name in object.keys.sorted() {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                let value = object[name]!
                if GatewayOptions.byKey[key] != nil {
                    values[key] = value
                } else if key == "modules" {
                    readModules(value, source: source)
                } else if GatewayOptions.sections.contains(key) {
                    switch value {
                    case .object(let inner): collect(inner, prefix: key, into: &values, source: source)
                    case .null: break
                    default: problems.append("\(key): must be an object, got \(value.rendered) (\(source))")
                    }
                } else {
                    let known = GatewayOptions.all.map(\.key) + GatewayOptions.sections.sorted() + ["modules"]
                    problems.append("\(key): unknown key\(suggestion(for: key, among: known)) (\(source))")
                }
            }
        }

        private mutating func readModules(_ value: ConfigValue, source: ValueSource) {
            guard case .object(let modules) = value else {
                if value != .null { problems.append("modules: must be an object, got \(value.rendered) (\(source))") }
                return
            }
            for name in modules.keys.sorted() {
                let section = modules[name]!
                guard !name.isEmpty else {
                    problems.append("modules: a module name must not be empty (\(source))")
                    continue
                }
                guard case .object(let raw) = section else {
                    problems.append("modules.\(name): must be an object, got \(section.rendered) (\(source))")
                    continue
                }
                var enabled = true
                if let flag = raw["enabled"] {
                    guard case .bool(let b) = flag else {
                        problems.append("modules.\(name).enabled: must be true or false, got \(flag.rendered) (\(source))")
                        continue
                    }
                    enabled = b
                }
                draft.configuration.modules[name] = .init(enabled: enabled, raw: raw)
            }
        }

        /// Plain stdio rather than `Data(contentsOf:)`: Foundation words errors as "The file doesn't exist." and hides
        /// errno, while the strerror text ("Permission denied", "Is a directory") is what an operator can act on.
        private static func readAll(_ path: String) -> Result<Data, ReadFailure> {
            guard let file = fopen(path, "rb") else { return .failure(ReadFailure(errno: errno)) }
            defer { fclose(file) }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count > 0 { data.append(contentsOf: buffer[..<count]) }
                if count < buffer.count {
                    if ferror(file) != 0 { return .failure(ReadFailure(errno: errno)) }
                    return .success(data)
                }
            }
        }

        private struct ReadFailure: Error, CustomStringConvertible {
            let errno: Int32
            var description: String { String(cString: strerror(errno)) }
        }

        /// Foundation reports a character offset; a line and column is what an editor can jump to.
        private static func jsonProblem(_ error: Error, in data: Data) -> String {
            let error = error as NSError
            let detail = (error.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            guard let range = detail.range(of: "character "),
                  let offset = Int(detail[range.upperBound...].prefix(while: { $0.isNumber })), offset <= data.count else {
                return detail
            }
            var line = 1, column = 1
            for byte in data.prefix(offset) {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            let sentence = detail.hasSuffix(".") ? String(detail.dropLast()) : detail
            return "\(sentence) (line \(line), column \(column))"
        }

        // MARK: Cross-field checks

        private func describe(_ key: String, _ value: Int) -> String {
            "\(key) (\(value), \(sources[key] ?? .defaultValue))"
        }

        mutating func finish() -> GatewayConfiguration {
            var configuration = draft.configuration

            switch (draft.tlsCertificate, draft.tlsKey) {
            case (let certificate?, let key?):
                configuration.tls = .init(certificate: certificate, key: key, sni: draft.tlsSNI,
                                          handshakeTimeoutMs: draft.tlsHandshakeTimeoutMs,
                                          redirectPort: draft.tlsRedirectPort,
                                          hstsMaxAgeSeconds: draft.tlsHSTSMaxAgeSeconds)
            case (_?, nil) where !failed.contains("tls.key"):
                problems.append("tls.key: missing; TLS needs it because tls.certificate is set "
                                + "(\(sources["tls.certificate"] ?? .defaultValue))")
            case (nil, _?) where !failed.contains("tls.certificate"):
                problems.append("tls.certificate: missing; TLS needs it because tls.key is set "
                                + "(\(sources["tls.key"] ?? .defaultValue))")
            case (nil, nil) where failed.isDisjoint(with: ["tls.certificate", "tls.key"]):
                if draft.tlsRedirectPort != 0 {
                    problems.append("tls.redirectPort: redirects to https, so it needs tls.certificate and tls.key "
                                    + "(\(sources["tls.redirectPort"] ?? .defaultValue))")
                }
                if !draft.tlsSNI.isEmpty {
                    problems.append("tls.sni: needs tls.certificate and tls.key as the default certificate "
                                    + "(\(sources["tls.sni"] ?? .defaultValue))")
                }
            default:
                break
            }

            if let tls = configuration.tls, tls.redirectPort != 0, tls.redirectPort == configuration.port,
               failed.isDisjoint(with: ["tls.redirectPort", "port"]) {
                problems.append("\(describe("tls.redirectPort", tls.redirectPort)) must differ from "
                                + describe("port", configuration.port))
            }

            let connection = configuration.connection
            let high = "connection.writeHighWatermarkBytes", low = "connection.writeLowWatermarkBytes"
            let maximum = "connection.maxWriteBufferBytes"
            if connection.writeLowWatermarkBytes >= connection.writeHighWatermarkBytes, failed.isDisjoint(with: [low, high]) {
                problems.append("\(describe(low, connection.writeLowWatermarkBytes)) must be less than "
                                + describe(high, connection.writeHighWatermarkBytes))
            }
            if connection.maxWriteBufferBytes < connection.writeHighWatermarkBytes, failed.isDisjoint(with: [maximum, high]) {
                problems.append("\(describe(maximum, connection.maxWriteBufferBytes)) must be at least "
                                + describe(high, connection.writeHighWatermarkBytes))
            }
            return configuration
        }
    }
}
