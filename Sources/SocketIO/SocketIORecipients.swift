import EventLoop

/// The sockets of this server that one adapter operation addresses, as the adapter found them under its lock. A room's
/// members come as the room's own table (shared, not copied): nothing is done per recipient until each loop walks its
/// sockets, where a recipient costs a loop comparison and an exclusion check, never an id lookup.
public struct SocketIORecipients: Sendable {
    enum Members: Sendable {
        /// A room's members, or every socket of the namespace.
        case table([SocketID: SocketIOSocketHandle])
        case list([SocketIOSocketHandle])
    }
    let members: Members
    let excluded: SocketIOExclusion

    init(_ members: Members, excluding excluded: SocketIOExclusion = SocketIOExclusion()) {
        self.members = members
        self.excluded = excluded
    }

    static let none = SocketIORecipients(.list([]))

    /// Every recipient's loop, once each, in order of first appearance: a pointer comparison per recipient against the
    /// few loops (one per core), no hashing.
    var loops: [EventLoop] {
        var loops: [EventLoop] = []
        var last: EventLoop?
        visit { handle in
            let loop = handle.loop
            if loop === last { return }
            last = loop
            if !loops.contains(where: { $0 === loop }) { loops.append(loop) }
        }
        return loops
    }

    /// The recipients as a list (excluded sockets left out).
    var handles: [SocketIOSocketHandle] {
        if excluded.isEmpty, case .list(let list) = members { return list }
        var handles: [SocketIOSocketHandle] = []
        visit { handles.append($0) }
        return handles
    }

    /// Calls `body` for the recipients on `loop`; on that loop only.
    func forEach(on loop: EventLoop, _ body: (SocketIOSocket) -> Void) {
        precondition(loop.isInLoop, "recipients walked off their loop")
        visit { handle in
            // Checked once above for the whole walk, rather than per socket by `handle.socket`.
            if let socket = handle.socket(ifOn: loop) { body(socket) }
        }
    }

    private func visit(_ body: (SocketIOSocketHandle) -> Void) {
        switch members {
        case .table(let table):
            for handle in table.values where !excluded.contains(handle) { body(handle) }
        case .list(let list):
            for handle in list where !excluded.contains(handle) { body(handle) }
        }
    }
}

/// Sockets an operation leaves out (`except`), by identity. A short list is compared in turn (a socket broadcasting to its
/// room leaves out one: itself); a long one is hashed by identity, never by id string.
struct SocketIOExclusion: Sendable {
    private var few: [ObjectIdentifier] = []
    private var many: Set<ObjectIdentifier> = []
    private static let listLimit = 8

    var isEmpty: Bool { few.isEmpty && many.isEmpty }

    mutating func insert(_ handle: SocketIOSocketHandle) {
        let identity = handle.identity
        if !many.isEmpty {
            many.insert(identity)
        } else if !few.contains(identity) {
            few.append(identity)
            if few.count > Self.listLimit {
                many = Set(few)
                few = []
            }
        }
    }

    func contains(_ handle: SocketIOSocketHandle) -> Bool {
        if few.isEmpty && many.isEmpty { return false }
        let identity = handle.identity
        return many.isEmpty ? few.contains(identity) : many.contains(identity)
    }
}
