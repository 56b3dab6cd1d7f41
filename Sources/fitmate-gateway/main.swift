import Foundation
import Gateway
import GatewayProtocol

/// Runs outside the main actor: the loops and signal handling must not depend on a main-actor executor that
/// `runUntilSignalled` blocks.
nonisolated func main() -> Int32 {
    do throws(ConfigurationError) {
        switch try GatewayCommandLine.parse(Array(CommandLine.arguments.dropFirst())) {
        case .help:
            print(GatewayCommandLine.helpText(), terminator: "")
            return 0
        case .version:
            print("fitmate-gateway (module contract \(ContractVersion.current))")
            return 0
        case .token:
            FileHandle.standardError.write(Data("fitmate-gateway: the token command arrives with authentication (issue 5)\n".utf8))
            return 2
        case .run(let path, let overrides):
            let configuration = try GatewayCommandLine.load(configPath: path, environment: ProcessInfo.processInfo.environment,
                                                            flagOverrides: overrides)
            do {
                try Gateway(configuration: configuration).runUntilSignalled()
                return 0
            } catch {
                FileHandle.standardError.write(Data("fitmate-gateway: cannot start: \(error)\n".utf8))
                return 1
            }
        }
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return 2
    }
}

exit(main())
