import GatewayProtocol

/// SMS for FitMate (issue 9): Twilio or the console, templates, one-time codes, delivery tracking and statistics; offers
/// `WellKnownServices.sms` to other modules. See README.md for the configuration.
public struct SMSModule: GatewayModule {
    public static let name = "sms"
    public static let contractVersion = ContractVersion.current
    static let statusCallbackPath = "/sms/status-callback"

    private let sender: SMSSender
    private let routes: SMSRoutes

    public init(setup: any ModuleSetup) throws {
        let configuration = try SMSConfiguration(setup.configuration)
        let context = setup.context
        let provider: any SMSProvider = if let twilio = configuration.twilio {
            TwilioProvider(settings: twilio, http: context.http)
        } else {
            ConsoleProvider(log: context.log, crypto: context.crypto)
        }
        sender = SMSSender(configuration: configuration, provider: provider, context: context)
        routes = SMSRoutes(configuration: configuration, sender: sender, context: context)
        setup.migrations(SMSSchema.migrations)
        routes.install(on: setup)
        setup.provide(WellKnownServices.sms, sender as any SMSSending)
        context.log.info("sms_provider", ["provider": provider.name, "allowed": configuration.allowedCountryCodes.joined(separator: ",")])
    }

    public func start(_ context: any ModuleContext) async throws {
        sender.attach(notifications: context.service(WellKnownServices.notifications))
        try await routes.start()
    }
}
