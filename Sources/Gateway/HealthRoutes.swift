import EventLoop
import HTTP
import Synchronization

/// `/healthz`: the process is alive and its loop answers. `/readyz`: every loop turns over and storage answers a query —
/// what a load balancer should wait for before sending traffic.
enum HealthRoutes {
    static let readinessTimeoutMs: UInt64 = 2_000

    static func register(on server: HTTPServer, group: EventLoopGroup, storage: SQLiteDatabase) {
        server.route("GET", "/healthz") { context in
            context.respond(.json(#"{"status":"ok"}"#))
        }
        server.route("GET", "/readyz") { context in
            let check = ReadinessCheck(context: context, loops: group.loops.count)
            context.loop.scheduleTimer(afterMs: readinessTimeoutMs) { check.finish() }
            let home = context.loop
            let box = LoopBound(check, loop: home)
            for loop in group.loops {
                loop.execute { home.execute { box.value.loopAnswered() } }
            }
            storage.check { ok in home.execute { box.value.storageAnswered(ok) } }
        }
    }
}

/// Collects the answers of one `/readyz` on the request's loop.
private final class ReadinessCheck {
    let context: HTTPRequestContext
    let loops: Int
    var loopsAnswered = 0
    var storage: Bool?

    init(context: HTTPRequestContext, loops: Int) {
        self.context = context
        self.loops = loops
    }

    func loopAnswered() {
        loopsAnswered += 1
        if loopsAnswered == loops && storage != nil { finish() }
    }

    func storageAnswered(_ ok: Bool) {
        storage = ok
        if loopsAnswered == loops { finish() }
    }

    func finish() {
        guard !context.isAnswered else { return }
        let loopsOK = loopsAnswered == loops
        let storageState = storage == nil ? "timeout" : (storage! ? "ok" : "error")
        let ready = loopsOK && storage == true
        context.respond(.json(ready ? 200 : 503,
            #"{"status":"\#(ready ? "ready" : "not ready")","loops":{"running":\#(loopsAnswered),"total":\#(loops)},"storage":"\#(storageState)"}"#))
    }
}

