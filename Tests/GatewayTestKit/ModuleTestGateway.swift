import Gateway
import EventLoop
import Foundation
import GatewayProtocol
import TestSupport

/// An in-process gateway on port 0 with the given modules, a fixed HS256 secret and its own data directory; tokens for
/// any user and role; HTTP requests with a bearer token.
public final class ModuleTestGateway {
    public static let secret = "test-secret-test-secret-test-secret-0123456789"
    public let gateway: Gateway
    public let dataDir: String
    public let clientGroup: EventLoopGroup

    public init(modules: [any GatewayModule.Type], dataDir: String? = nil, environment: [String: String] = [:],
         clock: (any SchedulerClock)? = nil, configure: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        let dataDir = dataDir ?? NSTemporaryDirectory() + "modules-\(UUID().uuidString)"
        self.dataDir = dataDir
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loops = 2
        configuration.dataDir = dataDir
        configuration.auth.secret = Self.secret
        configure(&configuration)
        gateway = try Gateway(configuration: configuration, modules: modules, environment: environment,
                              clock: clock ?? SystemSchedulerClock())
        try gateway.start()
        clientGroup = try EventLoopGroup(count: 1)
        clientGroup.start()
    }

    public var port: Int { gateway.port }

    public func stop(removeData: Bool = true) {
        let done = DispatchSemaphore(value: 0)
        gateway.shutdown { done.signal() }
        _ = done.wait(timeout: .now() + 10)
        clientGroup.shutdown()
        if removeData { try? FileManager.default.removeItem(atPath: dataDir) }
    }

    public static func token(sub: String, role: String = "user", extra: JSONObject = [:], ttlSeconds: Int = 3600) -> String {
        var claims: JSONObject = ["sub": .string(sub), "role": .string(role),
                                  "exp": .int(Int(Date().timeIntervalSince1970) + ttlSeconds)]
        for (key, value) in extra { claims[key] = value }
        return try! TokenSigner(key: .secret(Array(secret.utf8)), algorithm: .hs256).sign(claims)
    }

    /// `{"token":"…"}` as a CONNECT payload.
    public static func auth(sub: String, role: String = "user", extra: JSONObject = [:]) -> String {
        #"{"token":"\#(token(sub: sub, role: role, extra: extra))"}"#
    }

    public func join(sub: String, role: String = "user", extra: JSONObject = [:], namespace: String = "/") throws -> RawSocketIOClient {
        let (client, answer) = try RawSocketIOClient.join(port: port, on: clientGroup.loops[0],
                                                          auth: Self.auth(sub: sub, role: role, extra: extra), namespace: namespace)
        guard answer.hasPrefix("40") else { throw TestError("refused: \(answer)") }
        return client
    }

    public func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) throws -> TestHTTPResponse {
        let socket = try BlockingSocket(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        try socket.send(head + "\r\n" + (body ?? ""))
        guard let response = TestHTTPResponse.parse(try socket.receiveUntilClose()) else { throw TestError("no HTTP response") }
        return response
    }
}
