import Bench
import Chat
import GatewayProtocol
import Notifications
import Reminders
import SMS

/// The handler modules this build of the gateway knows. Adding a module is a target under `Plugins/` and one line here;
/// the configuration (`modules.<name>.enabled`, `GATEWAY_<NAME>=1|0`) decides which of them run.
let gatewayModules: [any GatewayModule.Type] = [
    ChatModule.self,
    NotificationsModule.self,
    SMSModule.self,
    RemindersModule.self,
    BenchModule.self,
]
