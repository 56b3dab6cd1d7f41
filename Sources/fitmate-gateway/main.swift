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
        case .token(let arguments):
            return token(arguments)
        case .run(let path, let overrides):
            let configuration = try GatewayCommandLine.load(configPath: path, environment: ProcessInfo.processInfo.environment,
                                                            flagOverrides: overrides)
            do {
                try Gateway.runUntilSignalled(configuration: configuration, modules: gatewayModules)
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

/// `token`: exit 2 for bad arguments or configuration (the caller must fix the command), 1 when signing fails.
nonisolated func token(_ arguments: [String]) -> Int32 {
    let request: TokenCommandLine.Request
    do throws(ConfigurationError) {
        switch try TokenCommandLine.parse(arguments) {
        case .help:
            print(TokenCommandLine.usage, terminator: "")
            return 0
        case .make(let parsed):
            request = parsed
        }
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return 2
    }
    do {
        print(try TokenCommandLine.makeToken(request, environment: ProcessInfo.processInfo.environment))
        return 0
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return 2
    } catch {
        FileHandle.standardError.write(Data("fitmate-gateway token: \(error)\n".utf8))
        return 1
    }
}

exit(main())
