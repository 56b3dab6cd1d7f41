import GatewayProtocol

/// One running module: what it is, what it declared, and the context it was given.
struct ModuleHost: Sendable {
    let name: String
    let module: any GatewayModule
    let declarations: ModuleDeclarations
    let context: RuntimeModuleContext
}

/// Builds the enabled modules from their types. Which modules exist is decided by the executable (its list of types);
/// which of them run, by configuration: `modules.<name>.enabled`, or the environment variable `GATEWAY_<NAME>` (`1`/`0`,
/// name upper-cased, `-` as `_`), else the module's own default.
enum ModuleRegistry {
    static func enabled(_ type: any GatewayModule.Type, settings: [String: GatewayConfiguration.ModuleSettings],
                        environment: [String: String]) -> Bool {
        let variable = "GATEWAY_" + type.name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let value = environment[variable]?.lowercased() {
            if ["1", "true", "yes", "on"].contains(value) { return true }
            if ["0", "false", "no", "off"].contains(value) { return false }
        }
        return settings[type.name]?.enabled ?? type.enabledByDefault
    }

    static func build(_ types: [any GatewayModule.Type], settings: [String: GatewayConfiguration.ModuleSettings],
                      environment: [String: String], runtime: GatewayRuntime) throws(GatewayStartError) -> [ModuleHost] {
        var hosts: [ModuleHost] = []
        var names = Set<String>()
        for type in types {
            let name = type.name
            guard isValidName(name) else {
                throw GatewayStartError("modules: \"\(name)\" is not a valid module name (lowercase letters, digits and -)")
            }
            guard names.insert(name).inserted else { throw GatewayStartError("modules.\(name): listed twice") }
            guard enabled(type, settings: settings, environment: environment) else { continue }
            guard ContractVersion.isSupported(type.contractVersion) else {
                throw GatewayStartError("modules.\(name): built for module contract \(type.contractVersion), but this gateway "
                                        + "implements \(ContractVersion.current) (it runs modules built for "
                                        + "\(ContractVersion.current.major).0 to \(ContractVersion.current)); rebuild the module")
            }
            var section = settings[name]?.raw ?? [:]
            section.removeValue(forKey: "enabled")
            let context = RuntimeModuleContext(moduleName: name, runtime: runtime)
            let setup = ModuleSetupRecorder(moduleName: name, configuration: JSONObject(configSection: section), context: context)
            let module: any GatewayModule
            do { module = try type.init(setup: setup) } catch {
                throw GatewayStartError("modules.\(name): \(error)")
            }
            let declarations = setup.close()
            if let problem = declarations.problems.first {
                throw GatewayStartError("modules.\(name): \(problem)")
            }
            hosts.append(ModuleHost(name: name, module: module, declarations: declarations, context: context))
        }
        return hosts
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

extension JSONObject {
    /// A configuration section as the module sees it; keys sorted because the file's order is not kept.
    init(configSection: [String: ConfigValue]) {
        self.init(configSection.keys.sorted().map { ($0, JSONValue(config: configSection[$0]!)) })
    }
}

extension JSONValue {
    init(config: ConfigValue) {
        switch config {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JSONValue.init(config:)))
        case .object(let o): self = .object(JSONObject(configSection: o))
        }
    }
}
