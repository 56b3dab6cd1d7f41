import EventLoop
import Foundation
import HTTP
import Synchronization
import TestSupport

/// A local HTTPS stand-in for Twilio's Messages resource, checked as Twilio documents it:
/// - `POST /2010-04-01/Accounts/{sid}/Messages.json`: HTTP Basic auth (account SID : auth token), form-encoded `To`
///   (E.164), `From` or `MessagingServiceSid` (exactly one), `Body`, optional `StatusCallback`, nothing else; answers 201
///   with the message resource (`sid`, `status: queued`, …) or an error `{code, message, more_info, status}`.
/// - `GET` on the same path with `To` and `DateSent>` (`YYYY-MM-DD`): `{"messages": […]}` for that number.
/// What each POST does next is scripted with `script`; an empty script accepts.
final class FakeTwilio: @unchecked Sendable {
    enum Behaviour: Sendable {
        case accept
        /// An error response as Twilio writes it.
        case fail(status: Int, code: Int, message: String)
        /// Never answers; `created` says whether Twilio made the message before going silent.
        case hang(created: Bool)
    }

    struct Message: Sendable {
        let sid: String
        let to: String
        let body: String
        let dateCreated: String
    }

    struct State {
        var script: [Behaviour] = []
        /// Every POST that passed the checks, as its form fields.
        var posts: [[String: String]] = []
        var messages: [Message] = []
        var lookups: [[String: String]] = []
        /// Requests refused for bad auth or bad fields, with the reason.
        var refusals: [String] = []
    }

    static let accountSID = "AC" + String(repeating: "0123456789abcdef", count: 2)
    static let authToken = "fake-auth-token-0123456789"

    let state = Mutex(State())
    private let group: EventLoopGroup
    private let server: HTTPServer
    private var listener: Listener?
    var port: Int { listener?.port ?? 0 }
    var baseURL: String { "https://localhost:\(port)" }

    init(certificate: TLSCertificatePair) throws {
        group = try EventLoopGroup(count: 1)
        group.start()
        server = HTTPServer(group: group, configuration: HTTPServerConfiguration(headerTimeoutMs: 5_000, idleTimeoutMs: 10_000))
        let path = "/2010-04-01/Accounts/:sid/Messages.json"
        server.route("POST", path) { [unowned self] context in self.create(context) }
        server.route("GET", path) { [unowned self] context in self.list(context) }
        let options = ListenerOptions(tls: try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [certificate])))
        listener = try server.listen(host: "127.0.0.1", port: 0, options: options)
    }

    func stop() {
        let done = Atomic<Bool>(false)
        server.shutdown(deadlineMs: 0) { done.store(true, ordering: .releasing) }
        _ = waitUntil(timeoutSeconds: 3) { done.load(ordering: .acquiring) }
        group.shutdown()
    }

    func script(_ behaviours: Behaviour...) { state.withLock { $0.script = behaviours } }
    var posts: [[String: String]] { state.withLock { $0.posts } }
    var messages: [Message] { state.withLock { $0.messages } }
    var lookups: [[String: String]] { state.withLock { $0.lookups } }
    var refusals: [String] { state.withLock { $0.refusals } }

    // MARK: Handlers

    private func create(_ context: HTTPRequestContext) {
        let request = context.request
        if let refusal = checkAuth(context) { return refuse(context, refusal) }
        guard request.headers["Content-Type"]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return refuse(context, (400, 20001, "Content-Type must be application/x-www-form-urlencoded"))
        }
        guard let fields = Self.decodeForm(String(decoding: request.body, as: UTF8.self)) else {
            return refuse(context, (400, 20001, "malformed form body"))
        }
        let allowed: Set = ["To", "From", "MessagingServiceSid", "Body", "StatusCallback"]
        if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
            return refuse(context, (400, 20001, "unexpected parameter \(unknown)"))
        }
        guard let to = fields["To"], to.range(of: #"^\+[1-9][0-9]{7,14}$"#, options: .regularExpression) != nil else {
            return refuse(context, (400, 21604, "A 'To' phone number is required."))
        }
        guard (fields["From"] == nil) != (fields["MessagingServiceSid"] == nil) else {
            return refuse(context, (400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required"))
        }
        guard let body = fields["Body"], !body.isEmpty else {
            return refuse(context, (400, 21602, "Message body is required."))
        }
        let behaviour: Behaviour = state.withLock { state in
            state.posts.append(fields)
            return state.script.isEmpty ? .accept : state.script.removeFirst()
        }
        switch behaviour {
        case .accept:
            let message = record(to: to, body: body)
            context.respond(json(201, Self.resource(message)))
        case .fail(let status, let code, let message):
            context.respond(json(status, ["code": code, "message": message,
                                          "more_info": "https://www.twilio.com/docs/errors/\(code)", "status": status]))
        case .hang(let created):
            if created { _ = record(to: to, body: body) }
        }
    }

    private func list(_ context: HTTPRequestContext) {
        if let refusal = checkAuth(context) { return refuse(context, refusal) }
        guard let query = context.request.head.query.flatMap({ Self.decodeForm(String($0)) }), let to = query["To"] else {
            return refuse(context, (400, 20001, "To is required"))
        }
        let after = query["DateSent>"]
        if let after, after.range(of: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"#, options: .regularExpression) == nil {
            return refuse(context, (400, 20001, "DateSent> must be YYYY-MM-DD"))
        }
        let found = state.withLock { state in
            state.lookups.append(query)
            // Like Twilio: a message that is still queued has no date_sent, so a DateSent filter never returns it.
            return after == nil ? state.messages.filter { $0.to == to }.reversed() : []
        }
        context.respond(json(200, ["messages": found.map(Self.resource), "page": 0, "page_size": 50]))
    }

    private func checkAuth(_ context: HTTPRequestContext) -> (Int, Int, String)? {
        let expected = "Basic " + Data("\(Self.accountSID):\(Self.authToken)".utf8).base64EncodedString()
        guard context.request.headers["Authorization"] == expected, context.parameters["sid"] == Self.accountSID else {
            return (401, 20003, "Authenticate")
        }
        return nil
    }

    private func refuse(_ context: HTTPRequestContext, _ refusal: (Int, Int, String)) {
        state.withLock { $0.refusals.append(refusal.2) }
        context.respond(json(refusal.0, ["code": refusal.1, "message": refusal.2,
                                         "more_info": "https://www.twilio.com/docs/errors/\(refusal.1)", "status": refusal.0]))
    }

    private func record(to: String, body: String) -> Message {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let message = Message(sid: "SM" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                              to: to, body: body, dateCreated: formatter.string(from: Date()))
        state.withLock { $0.messages.append(message) }
        return message
    }

    private static func resource(_ message: Message) -> [String: Any] {
        ["sid": message.sid, "account_sid": accountSID, "to": message.to, "body": message.body, "status": "queued",
         "date_created": message.dateCreated, "date_sent": NSNull(), "direction": "outbound-api", "num_segments": "1",
         "error_code": NSNull(), "error_message": NSNull()]
    }

    private func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        let body = try! JSONSerialization.data(withJSONObject: object)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body))
    }

    static func decodeForm(_ text: String) -> [String: String]? {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                  let value = (parts.count > 1 ? String(parts[1]) : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            else { return nil }
            fields[name] = value
        }
        return fields
    }
}
