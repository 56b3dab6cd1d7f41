@testable import Gateway
import ExampleModule
import Foundation
import GatewayProtocol
import GatewayTestKit
import TestSupport
import XCTest

/// A module built only against the contract (`ExampleModule`), driven end to end through real sockets and HTTP.
final class ModuleRuntimeTests: XCTestCase {
    var gateway: ModuleTestGateway!

    override func setUpWithError() throws {
        gateway = try ModuleTestGateway(modules: [NotesModule.self])
    }

    override func tearDown() { gateway?.stop() }

    func testEventsAcksRoomsAndTablesWorkThroughARealSocket() throws {
        let alice = try gateway.join(sub: "alice")
        XCTAssertEqual(alice.nextEvent("welcome"), #"["welcome",{"userId":"alice"}]"#)
        let bob = try gateway.join(sub: "bob")
        XCTAssertEqual(bob.emitWithAck("note.join", id: 1), #"["joined"]"#)
        XCTAssertEqual(alice.emitWithAck("note.add", #"{"text":"hello"}"#, id: 7), #"[{"id":1,"text":"hello","author":"alice"}]"#)
        XCTAssertEqual(bob.nextEvent("note.added"), #"["note.added",{"id":1,"text":"hello","author":"alice"}]"#)
        // The table is real: the route reads what the event wrote.
        let list = try gateway.request("GET", "/notes", token: ModuleTestGateway.token(sub: "bob"))
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual(list.bodyText, #"[{"id":1,"text":"hello","author":"alice"}]"#)
    }

    /// A socket restored by connection state recovery skips the middlewares (so sends no token): it must come back as
    /// the same user, from the verified claims its session kept.
    func testARecoveredSocketKeepsItsIdentity() throws {
        let recovering = try ModuleTestGateway(modules: [NotesModule.self]) { $0.socketio.stateRecovery = true }
        defer { recovering.stop() }
        let loop = recovering.clientGroup.loops[0]
        let (first, answer) = try RawSocketIOClient.join(port: recovering.port, on: loop,
                                                         auth: ModuleTestGateway.auth(sub: "alice", role: "coach"))
        let opened = try XCTUnwrap(JSONValue.parse(String(answer.dropFirst(2))).objectValue, answer)
        let sid = try XCTUnwrap(opened["sid"]?.stringValue), pid = try XCTUnwrap(opened["pid"]?.stringValue)
        // The welcome went through the adapter, so it carries the offset a reconnecting client sends back.
        let welcome = try XCTUnwrap(first.nextEvent("welcome"))
        let offset = try XCTUnwrap(JSONValue.parse(welcome).arrayValue?.last?.stringValue, welcome)
        first.close()
        Thread.sleep(forTimeInterval: 0.3)  // the server sees the transport close and keeps the session

        let (second, again) = try RawSocketIOClient.join(port: recovering.port, on: loop,
                                                         auth: #"{"pid":"\#(pid)","offset":"\#(offset)"}"#)
        XCTAssertEqual(again, #"40{"sid":"\#(sid)","pid":"\#(pid)"}"#, "recovered, not a new session")
        XCTAssertEqual(second.emitWithAck("whoami", id: 1), #"[{"userId":"alice","role":"coach","online":true}]"#)
    }

    func testSocketsWithoutAValidTokenGetConnectError() throws {
        let loop = gateway.clientGroup.loops[0]
        let (_, missing) = try RawSocketIOClient.join(port: gateway.port, on: loop, auth: "{}")
        XCTAssertTrue(missing.hasPrefix(#"44{"message":"missing token"#), missing)
        XCTAssertTrue(missing.hasSuffix(#""data":{"code":"missing_token"}}"#), missing)
        let expired = ModuleTestGateway.token(sub: "x", ttlSeconds: -120)
        let (_, refused) = try RawSocketIOClient.join(port: gateway.port, on: loop, auth: #"{"token":"\#(expired)"}"#)
        XCTAssertEqual(refused, #"44{"message":"token expired","data":{"code":"invalid_token"}}"#)
        let forged = ModuleTestGateway.token(sub: "x").dropLast(3) + "AAA"
        let (_, bad) = try RawSocketIOClient.join(port: gateway.port, on: loop, auth: #"{"token":"\#(forged)"}"#)
        XCTAssertEqual(bad, #"44{"message":"invalid signature","data":{"code":"invalid_token"}}"#)
    }

    func testErrorsReachTheClientAsErrorAcksOrErrorEvents() throws {
        let client = try gateway.join(sub: "carol")
        XCTAssertEqual(client.emitWithAck("note.add", #"{"txt":"typo"}"#, id: 1),
                       #"[{"error":"text is required","code":"invalid_payload"}]"#)
        XCTAssertEqual(client.emitWithAck("note.add", #"{"text":5}"#, id: 2),
                       #"[{"error":"text: expected a string, got a number","code":"invalid_payload"}]"#)
        XCTAssertEqual(client.emitWithAck("fail", id: 3), #"[{"error":"this always fails","code":"always"}]"#)
        XCTAssertEqual(client.emitWithAck("crash", id: 4), #"[{"error":"internal error","code":"internal"}]"#)
        XCTAssertEqual(client.emitWithAck("no.such.event", id: 5),
                       #"[{"error":"unknown event no.such.event","code":"unknown_event"}]"#)
        client.send(#"42["fail"]"#)
        XCTAssertEqual(client.nextEvent("error"), #"["error",{"message":"this always fails","code":"always","event":"fail"}]"#)
        // Still connected and serving after all of that.
        XCTAssertEqual(client.emitWithAck("whoami", id: 6), #"[{"userId":"carol","role":"user","online":true}]"#)
    }

    func testEventsOfOneSocketAreHandledInArrivalOrder() throws {
        let client = try gateway.join(sub: "dave")
        client.send(#"421["slow",150]"#)
        client.send(#"422["whoami"]"#)
        // A handler that never suspends still waits for the events before it (it would answer at once otherwise).
        client.send(#"423["sync.echo","third"]"#)
        let first = client.nextText { $0.hasPrefix("43") }
        let second = client.nextText { $0.hasPrefix("43") }
        let third = client.nextText { $0.hasPrefix("43") }
        XCTAssertEqual(first, "431[150]")
        XCTAssertTrue(second?.hasPrefix("432[") == true, second ?? "nil")
        XCTAssertEqual(third, #"433["third"]"#)
    }

    func testHandlersThatNeverSuspendAnswerAndFailAsTheOthers() throws {
        let client = try gateway.join(sub: "dora")
        XCTAssertEqual(client.emitWithAck("sync.echo", #"1,"two",{"3":[true]}"#, id: 1), #"[1,"two",{"3":[true]}]"#)
        XCTAssertEqual(client.emitWithAck("sync.fail", id: 2), #"[{"error":"refused at once","code":"at_once"}]"#)
        XCTAssertEqual(client.emitWithAck("sync.crash", id: 3), #"[{"error":"internal error","code":"internal"}]"#)
        XCTAssertEqual(client.emitWithAck("sync.shout", #"{"text":"hey"}"#, id: 4), #"["HEY"]"#)
        XCTAssertEqual(client.emitWithAck("sync.shout", #"{"txt":"hey"}"#, id: 5),
                       #"[{"error":"text is required","code":"invalid_payload"}]"#)
        client.send(#"42["sync.fail"]"#)
        XCTAssertEqual(client.nextEvent("error"), #"["error",{"message":"refused at once","code":"at_once","event":"sync.fail"}]"#)
    }

    func testBinaryArgumentsRoundTrip() throws {
        let client = try gateway.join(sub: "erin")
        client.send(#"451-3["binary.echo",{"_placeholder":true,"num":0}]"#)
        client.sendBinary([1, 2, 255])
        XCTAssertEqual(client.nextText { $0.hasPrefix("461-3") }, #"461-3[{"_placeholder":true,"num":0}]"#)
        XCTAssertEqual(client.next(), .binary([1, 2, 255]))
    }

    func testPresenceCountsAUserOnceAcrossTabs() throws {
        let observer = try gateway.join(sub: "observer")
        let tab1 = try gateway.join(sub: "frank")
        XCTAssertNotNil(observer.nextEvent("userOnline"))
        let tab2 = try gateway.join(sub: "frank")
        XCTAssertEqual(tab2.emitWithAck("whoami", id: 1), #"[{"userId":"frank","role":"user","online":true}]"#)
        tab1.close()
        XCTAssertNil(observer.nextEvent("userOffline", timeoutSeconds: 0.5), "one of two tabs closing is not offline")
        tab2.close()
        XCTAssertEqual(observer.nextEvent("userOffline"), #"["userOffline",{"userId":"frank"}]"#)
        XCTAssertNil(observer.nextEvent("userOnline", timeoutSeconds: 0.3), "the second tab did not announce again")
    }

    func testRoutesCheckTheTokenAndTheRole() throws {
        let anonymous = try gateway.request("GET", "/notes")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.headers.first { $0.name.lowercased() == "www-authenticate" }?.value, #"Bearer realm="fitmate-gateway""#)
        let forged = try gateway.request("GET", "/notes", token: "abc.def.ghi")
        XCTAssertEqual(forged.status, 401)
        XCTAssertTrue(forged.bodyText.contains(#""code":"invalid_token""#), forged.bodyText)
        let user = try gateway.request("DELETE", "/notes", token: ModuleTestGateway.token(sub: "u"))
        XCTAssertEqual(user.status, 403)
        XCTAssertTrue(user.bodyText.contains("needs the admin role"), user.bodyText)
        XCTAssertEqual(try gateway.request("DELETE", "/notes", token: ModuleTestGateway.token(sub: "a", role: "admin")).status, 204)
        let open = try gateway.request("GET", "/notes/count")
        XCTAssertEqual(open.bodyText, #"{"count":0,"caller":null}"#)
        let known = try gateway.request("GET", "/notes/count", token: ModuleTestGateway.token(sub: "gina"))
        XCTAssertEqual(known.bodyText, #"{"count":0,"caller":"gina"}"#)
    }

    func testServicesAreFoundByKey() async throws {
        let client = try gateway.join(sub: "hank")
        _ = client.emitWithAck("note.add", #"{"text":"one"}"#, id: 1)
        let counter = try XCTUnwrap(gateway.gateway.modules?.runtime.service(noteCounterKey))
        let count = try await counter.count()
        XCTAssertEqual(count, 1)
    }

    func testUsersDirectoryFromClaimsAndFromTheBackend() throws {
        _ = try gateway.join(sub: "ivy", extra: ["name": "Ivy", "email": "ivy@fitmate.test"])
        let service = ModuleTestGateway.token(sub: "backend", role: "service")
        XCTAssertTrue(waitUntil { (try? self.gateway.request("GET", "/internal/users/ivy", token: service).status) == 200 })
        let updated = try gateway.request("PUT", "/internal/users/ivy", token: service,
                                          body: #"{"phone":"+821012345678","smsOptIn":true,"timeZone":"Asia/Seoul"}"#)
        XCTAssertEqual(updated.status, 200, updated.bodyText)
        XCTAssertTrue(updated.bodyText.contains(#""name":"Ivy","email":"ivy@fitmate.test","phone":"+821012345678","smsOptIn":true,"timeZone":"Asia/Seoul""#),
                      updated.bodyText)
        let badZone = try gateway.request("PUT", "/internal/users/ivy", token: service, body: #"{"timeZone":"Mars/Olympus"}"#)
        XCTAssertEqual(badZone.status, 400)
        XCTAssertTrue(badZone.bodyText.contains("timeZone"), badZone.bodyText)
        XCTAssertEqual(try gateway.request("PUT", "/internal/users/ivy", token: ModuleTestGateway.token(sub: "ivy"),
                                           body: #"{"role":"admin"}"#).status, 403, "a user cannot promote themself")
    }

    func testMetricsAreServedToAdminsInPrometheusFormat() throws {
        let client = try gateway.join(sub: "jack")
        _ = client.emitWithAck("note.add", #"{"text":"x"}"#, id: 1)
        XCTAssertEqual(try gateway.request("GET", "/metrics", token: ModuleTestGateway.token(sub: "jack")).status, 403)
        let metrics = try gateway.request("GET", "/metrics", token: ModuleTestGateway.token(sub: "ops", role: "admin"))
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.bodyText.contains("fitmate_notes_notes_added_total 1\n"), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_events_received_total{module="notes"} 1"#), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains("# TYPE fitmate_handler_duration_seconds histogram"), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_engineio_clients{transport="websocket"} 1"#), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_engineio_clients{transport="polling"} 0"#), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains("fitmate_socket_connected 1\n"), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_storage_duration_seconds_count{operation="query"} "#), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains("# TYPE fitmate_engineio_messages_total counter"), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_engineio_messages_total{direction="in"} "#), metrics.bodyText)
        XCTAssertTrue(metrics.bodyText.contains(#"fitmate_engineio_payload_bytes_total{direction="out"} "#), metrics.bodyText)
    }
}

final class ModuleRegistryTests: XCTestCase {
    func testAModuleBuiltForAnotherContractIsRefused() {
        XCTAssertThrowsError(try ModuleTestGateway(modules: [FutureModule.self])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("modules.future: built for module contract 1.0"), message)
            XCTAssertTrue(message.contains("implements \(ContractVersion.current)"), message)
        }
    }

    func testConfigurationAndEnvironmentDecideWhichModulesRun() throws {
        let off = try ModuleTestGateway(modules: [NotesModule.self], environment: ["GATEWAY_NOTES": "0"])
        XCTAssertEqual(off.gateway.modules?.hosts.map(\.name), [])
        off.stop()
        let disabled = try ModuleTestGateway(modules: [NotesModule.self]) {
            $0.modules["notes"] = .init(enabled: false)
        }
        XCTAssertEqual(disabled.gateway.modules?.hosts.map(\.name), [])
        disabled.stop()
    }

    func testAModuleRefusingItsConfigurationStopsTheStart() {
        XCTAssertThrowsError(try ModuleTestGateway(modules: [NotesModule.self]) {
            $0.modules["notes"] = .init(enabled: true, raw: ["maxLength": .int(0)])
        }) { error in
            XCTAssertTrue("\(error)".contains("modules.notes: maxLength: must be positive"), "\(error)")
        }
    }

    func testPendingEventsPerSocketAreBoundedAtTheConfiguredEdge() throws {
        let gateway = try ModuleTestGateway(modules: [NotesModule.self]) { $0.socketio.maxPendingEvents = 2 }
        defer { gateway.stop() }
        let client = try gateway.join(sub: "kim")
        client.send(#"421["slow",300]"#)
        client.send(#"422["slow",1]"#)
        client.send(#"423["slow",1]"#)
        var acks: [String] = []
        for _ in 0..<3 { if let ack = client.nextText(where: { $0.hasPrefix("43") }) { acks.append(ack) } }
        XCTAssertEqual(acks.count, 3)
        XCTAssertTrue(acks[0].hasPrefix("433[{\"error\":\"too many events in flight"), acks.joined(separator: " | "))
        XCTAssertEqual(Array(acks[1...]), ["431[300]", "432[1]"])
    }
}

final class ModuleJobTests: XCTestCase {
    func testAModuleJobIsScheduledListedAndTriggeredByAnAdmin() throws {
        let start: Int64 = 1_790_000_000_000 - (1_790_000_000_000 % 60_000) + 10_000   // 10 s past a minute
        let clock = ManualSchedulerClock(nowMs: start)
        let gateway = try ModuleTestGateway(modules: [NotesModule.self], clock: clock)
        defer { gateway.stop() }
        let before = NotesModule.jobRuns.load(ordering: .relaxed)
        let admin = ModuleTestGateway.token(sub: "ops", role: "admin")

        let listed = try gateway.request("GET", "/admin/jobs", token: admin)
        XCTAssertEqual(listed.status, 200)
        XCTAssertTrue(listed.bodyText.contains(#""job":"notes.tick","schedule":"* * * * *","timeZone":"UTC""#), listed.bodyText)
        XCTAssertTrue(listed.bodyText.contains(#""nextRunMs":\#(start + 50_000)"#), listed.bodyText)
        XCTAssertEqual(try gateway.request("GET", "/admin/jobs", token: ModuleTestGateway.token(sub: "u")).status, 403)

        // Due at the next minute: moving the clock there runs it once.
        XCTAssertTrue(waitUntil { !clock.sleepingUntil.isEmpty })
        clock.advance(toMs: start + 50_000)
        XCTAssertTrue(waitUntil { NotesModule.jobRuns.load(ordering: .relaxed) == before + 1 })

        let triggered = try gateway.request("POST", "/admin/jobs/notes.tick/run", token: admin)
        XCTAssertEqual(triggered.status, 202, triggered.bodyText)
        XCTAssertTrue(waitUntil { NotesModule.jobRuns.load(ordering: .relaxed) == before + 2 })
        XCTAssertEqual(try gateway.request("POST", "/admin/jobs/notes.nope/run", token: admin).status, 404)
        let after = try gateway.request("GET", "/admin/jobs", token: admin)
        XCTAssertTrue(after.bodyText.contains(#""outcome":"ok""#), after.bodyText)
        XCTAssertTrue(after.bodyText.contains(#""counts":{"ticks":1}"#), after.bodyText)
    }
}

final class PresenceAnnouncementTests: XCTestCase {
    func testPresenceAnnouncementsCanBeTurnedOffWhilePresenceStaysKnown() throws {
        let gateway = try ModuleTestGateway(modules: [NotesModule.self]) { $0.socketio.announcePresence = false }
        defer { gateway.stop() }
        let observer = try gateway.join(sub: "watcher")
        let user = try gateway.join(sub: "quiet")
        XCTAssertEqual(user.emitWithAck("whoami", id: 1), #"[{"userId":"quiet","role":"user","online":true}]"#)
        user.close()
        XCTAssertNil(observer.nextText(timeoutSeconds: 0.5) { $0.contains("userOnline") || $0.contains("userOffline") })
    }
}

final class UsersDirectoryLimitTests: XCTestCase {
    func testFieldAndIdLimitsAtTheirEdges() throws {
        let gateway = try ModuleTestGateway(modules: [])
        defer { gateway.stop() }
        let service = ModuleTestGateway.token(sub: "backend", role: "service")
        let name512 = String(repeating: "a", count: 512)
        XCTAssertEqual(try gateway.request("PUT", "/internal/users/u1", token: service, body: #"{"name":"\#(name512)"}"#).status, 200)
        let tooLong = try gateway.request("PUT", "/internal/users/u1", token: service, body: #"{"name":"\#(name512)b"}"#)
        XCTAssertEqual(tooLong.status, 400)
        XCTAssertTrue(tooLong.bodyText.contains("name"), tooLong.bodyText)
        let id128 = String(repeating: "i", count: 128)
        XCTAssertEqual(try gateway.request("PUT", "/internal/users/\(id128)", token: service, body: "{}").status, 200)
        XCTAssertEqual(try gateway.request("PUT", "/internal/users/\(id128)i", token: service, body: "{}").status, 400)
    }
}
