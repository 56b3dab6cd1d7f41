/// What the process was asked to do.
public enum GatewayCommand: Equatable, Sendable {
    /// Start the server. `overrides` maps option keys (e.g. `"port"`) to the flag's text; `load` validates them.
    case run(configPath: String?, overrides: [String: String])
    case help
    /// `fitmate-gateway token ...`: everything after `token`, untouched, for the token subcommand to parse.
    case token(arguments: [String])
    case version
}

public enum GatewayCommandLine {
    /// Parses the arguments after argv[0]. Only the syntax is checked here; values are validated by `load`, so a bad
    /// `--port` is reported together with bad file and env values.
    public static func parse(_ arguments: [String]) throws(ConfigurationError) -> GatewayCommand {
        if arguments.first == "token" { return .token(arguments: Array(arguments.dropFirst())) }

        var configPath: String?
        var overrides: [String: String] = [:]
        var seen: Set<String> = []
        var problems: [String] = []
        var wantsHelp = false, wantsVersion = false

        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "--help", "-h": wantsHelp = true; continue
            case "--version": wantsVersion = true; continue
            default: break
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                let hint = argument == "token" ? " (token must be the first argument)" : ""
                problems.append("\(argument.debugDescription): unexpected argument\(hint); see --help")
                continue
            }

            let flag: String, inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            } else {
                flag = argument
                inlineValue = nil
            }

            let spec = GatewayOptions.byFlag[flag]
            guard flag == "--config" || spec != nil else {
                let known = ["--config", "--help", "--version"] + GatewayOptions.byFlag.keys.sorted()
                problems.append("\(flag): unknown flag\(suggestion(for: flag, among: known)); see --help")
                // Its value, if any, would otherwise be reported again as a stray argument.
                if inlineValue == nil, index < arguments.count, !arguments[index].hasPrefix("-") { index += 1 }
                continue
            }

            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                value = arguments[index]
                index += 1
            } else {
                problems.append("\(flag): missing value")
                continue
            }

            // A repeated flag is refused rather than last-one-wins: one of the two values would be ignored silently.
            guard seen.insert(flag).inserted else {
                problems.append("\(flag): given more than once")
                continue
            }
            if let spec { overrides[spec.key] = value } else { configPath = value }
        }

        // Asking for help must work even next to a mistake; the help is what explains the mistake.
        if wantsHelp { return .help }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        if wantsVersion { return .version }
        return .run(configPath: configPath, overrides: overrides)
    }

    /// Loads the configuration: table defaults < file < `environment` < `flagOverrides` (keyed by option key, as
    /// `parse` produces them). Throws every problem found, not just the first.
    public static func load(configPath: String?, environment: [String: String],
                            flagOverrides: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        try ConfigurationLoader.load(configPath: configPath, environment: environment, flagOverrides: flagOverrides)
    }

    /// Generated from the option table, so it always lists exactly the options that are read.
    public static func helpText() -> String {
        var lines = [
            "Usage: fitmate-gateway [--config PATH] [options]",
            "       fitmate-gateway token --sub ID [--role R] [--ttl 1h]",
            "       fitmate-gateway --help | --version",
            "",
            "Runs with no configuration at all (HTTP on 0.0.0.0:3000, data in ./data). Each option below can be set in",
            "the JSON file given by --config (nested by its dotted key), by its environment variable, or by its flag;",
            "precedence is defaults < file < environment < flags. Empty environment variables count as unset.",
            "",
            "  --config PATH    JSON configuration file; unknown keys in it are errors.",
            "  --help, -h       Show this text.",
            "  --version        Show the version.",
            "",
            "Options:",
        ]
        for spec in GatewayOptions.all {
            let flag = spec.flag.map { "\($0) VALUE" } ?? "(none)"
            lines.append("  \(spec.key)")
            lines.append("      env: \(spec.env ?? "(none)")   flag: \(flag)   default: \(spec.defaultValue?.helpText ?? "none")")
            lines.append("      \(spec.help)")
            lines.append("      Accepts \(spec.kind.expectation).")
        }
        lines += [
            "  modules.<name>",
            "      Config file only: one object per handler module, {\"enabled\": true|false, ...}; the rest of the",
            "      object is passed to the module as written.",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
