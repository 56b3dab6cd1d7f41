import GatewayProtocol

/// FitMate's chat (issue 7): rooms with members, support rooms, history, read receipts, typing, deletion, and offline
/// notifications through the Notifications module when it runs. See README.md for events, routes and configuration.
public struct ChatModule: GatewayModule {
    public static let name = "chat"
    public static let contractVersion = ContractVersion.current

    public init(setup: any ModuleSetup) throws {
        let chat = ChatService(configuration: try ChatConfiguration(setup.configuration), context: setup.context)
        setup.migrations(ChatSchema.migrations)
        ChatEvents(chat: chat).install(on: setup)
        ChatRoutes(chat: chat).install(on: setup)
    }
}
