// A handler module for the tests, built only against the contract (it imports nothing but `GatewayProtocol`): it proves
// that a module is added without touching the core. Shipped nowhere.
import GatewayProtocol
import Synchronization

public struct Note: Codable, Sendable, Equatable {
    public let id: Int64
    public let text: String
    public let author: String
}

/// What other modules can ask this one (provided as a service in the tests).
public protocol NoteCounting: Sendable {
    func count() async throws -> Int
}

public let noteCounterKey = ServiceKey<any NoteCounting>("notes.counter")

public final class NotesModule: GatewayModule {
    public static let name = "notes"
    public static let contractVersion = ContractVersion.current

    /// Runs of the `tick` job, for the tests.
    public static let jobRuns = Atomic<Int>(0)

    struct AddNote: Decodable, Sendable {
        let text: String
    }

    struct Counter: NoteCounting {
        let database: any Database
        func count() async throws -> Int {
            try await database.query("SELECT COUNT(*) AS n FROM notes", []).first?["n"].intValue ?? 0
        }
    }

    let context: any ModuleContext
    let maxLength: Int

    public init(setup: any ModuleSetup) throws {
        context = setup.context
        maxLength = setup.configuration["maxLength"]?.intValue ?? 200
        guard maxLength > 0 else { throw ModuleError("maxLength: must be positive") }
        let context = self.context
        let maxLength = self.maxLength

        setup.migrations([
            Migration(version: 1, ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, author TEXT NOT NULL)"]),
        ])

        setup.onConnect { socket in
            context.messaging.emit("welcome", [.object(["userId": .string(socket.user.userId)])], to: .socket(socket.id))
        }

        setup.on("note.join") { event in
            context.messaging.join(socket: event.socket.id, room: "notes")
            return ["joined"]
        }

        setup.on("note.add", as: AddNote.self) { event, payload in
            guard payload.text.utf8.count <= maxLength else {
                throw ModuleError("text: at most \(maxLength) bytes", code: "too_long")
            }
            let row = try await context.database.query(
                "INSERT INTO notes (text, author) VALUES (?, ?) RETURNING id", [.text(payload.text), .text(event.user.userId)])
            let note = Note(id: row.first?["id"].int64Value ?? 0, text: payload.text, author: event.user.userId)
            try context.messaging.emit("note.added", json: note, to: .room("notes"))
            context.metrics.counter("notes_added_total", help: "Notes saved.").increment()
            return note
        }

        setup.on("whoami") { event in
            [.object(["userId": .string(event.user.userId), "role": .string(event.user.role),
                      "online": .bool(context.presence.isOnline(event.user.userId))])]
        }

        setup.on("binary.echo") { event in event.arguments }

        setup.on("slow") { event in
            try await Task.sleep(for: .milliseconds(event.arguments.first?.intValue ?? 50))
            return event.arguments
        }

        setup.on("fail") { _ in throw ModuleError("this always fails", status: 422, code: "always") }
        setup.on("crash") { _ in throw CancellationError() }

        // Handlers that never suspend (contract 0.5): same answers and errors, no task per event.
        setup.onSync("sync.echo") { event in event.arguments }
        setup.onSync("sync.fail") { _ in throw ModuleError("refused at once", status: 422, code: "at_once") }
        setup.onSync("sync.crash") { _ in throw CancellationError() }
        setup.onSync("sync.shout", as: AddNote.self) { _, payload in payload.text.uppercased() }

        setup.route("GET", "/notes", access: .authenticated) { _ in
            let rows = try await context.database.query("SELECT id, text, author FROM notes ORDER BY id", [])
            return try .json(rows.map { Note(id: $0["id"].int64Value ?? 0, text: $0["text"].stringValue ?? "",
                                             author: $0["author"].stringValue ?? "") })
        }
        setup.route("DELETE", "/notes", access: .admin) { _ in
            try await context.database.execute("DELETE FROM notes", [])
            return .noContent()
        }
        setup.route("GET", "/notes/count", access: .public) { request in
            let n = try await Counter(database: context.database).count()
            return try .json(["count": JSONValue.int(n), "caller": request.caller.map { .string($0.userId) } ?? .null] as JSONObject)
        }

        setup.job(JobSpec(name: "tick", schedule: "* * * * *") { _ in
            NotesModule.jobRuns.wrappingAdd(1, ordering: .relaxed)
            return JobOutcome(counts: ["ticks": 1])
        })

        setup.provide(noteCounterKey, Counter(database: context.database) as any NoteCounting)
    }
}

/// A module built for a contract this gateway cannot run.
public struct FutureModule: GatewayModule {
    public static let name = "future"
    public static let contractVersion = ContractVersion(major: ContractVersion.current.major + 1, minor: 0)
    public init(setup: any ModuleSetup) throws {}
}
