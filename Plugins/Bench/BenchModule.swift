// The benchmark module: the events every Socket.IO benchmark uses, behind the same authentication as everything else.
// Off unless asked for (`modules.bench.enabled: true` or `GATEWAY_BENCH=1`).
import GatewayProtocol

public struct BenchModule: GatewayModule {
    public static let name = "bench"
    public static let contractVersion = ContractVersion(major: 0, minor: 5)
    public static let enabledByDefault = false

    struct Broadcast: Decodable, Sendable {
        let room: String
        let payload: JSONValue
    }

    public init(setup: any ModuleSetup) throws {
        let context = setup.context
        setup.migrations([
            Migration(version: 1, ["CREATE TABLE bench_events (id INTEGER PRIMARY KEY, socket_id TEXT NOT NULL, "
                                   + "payload TEXT NOT NULL, received_ms INTEGER NOT NULL)"]),
        ])

        // Acknowledges with the same arguments (binary included).
        setup.onSync("echo") { event in event.arguments }

        // Joins the room named by the first argument.
        setup.onSync("join") { event in
            guard let room = event.arguments.first?.stringValue, !room.isEmpty, !room.hasPrefix("#") else {
                throw ModuleError.badRequest("join: the first argument must be a room name")
            }
            context.messaging.join(socket: event.socket.id, room: room)
            return []
        }

        // Sends `bcast` with the payload to everyone in the room.
        setup.onSync("broadcast", as: Broadcast.self) { _, broadcast in
            context.messaging.emit("bcast", [broadcast.payload], to: .room(broadcast.room))
            return nil
        }

        // Writes one row, acknowledges after the commit: the persisted-events benchmark and the kill -9 test.
        setup.on("persist") { event in
            var text: [UInt8] = []
            (event.arguments.first ?? .null).serialize(into: &text)
            let saved = try await context.database.execute(
                "INSERT INTO bench_events (socket_id, payload, received_ms) VALUES (?, ?, ?)",
                [.text(event.socket.id), .text(String(decoding: text, as: UTF8.self)), .integer(context.clock.nowMs())])
            return [.int(Int(saved.lastInsertID))]
        }

        setup.route("GET", "/bench/events/count", access: .adminOrService) { _ in
            let rows = try await context.database.query("SELECT COUNT(*) AS n FROM bench_events", [])
            return try .json(["count": JSONValue.int(rows.first?["n"].intValue ?? 0)] as JSONObject)
        }
    }
}
