import EventLoop

/// The sockets of this server that one adapter operation addresses, grouped by loop, as the adapter found them under its
/// lock. A room's members on a loop come as the room's own table for that loop (shared, not copied): nothing is done per
/// recipient until the loop walks its sockets, where a recipient costs an exclusion check, never an id lookup.
public struct SocketIORecipients: Sendable {
    enum Members: Sendable {
        /// A room's members on one loop.
        case table([SocketID: SocketIOSocketHandle])
        case list([SocketIOSocketHandle])

        /// Each member, whichever the form (the one place that tells them apart).
        func forEach(_ body: (SocketIOSocketHandle) -> Void) {
            switch self {
            case .table(let table): for handle in table.values { body(handle) }
            case .list(let list): for handle in list { body(handle) }
            }
        }
    }
    typealias Group = (loop: EventLoop, members: Members)
    let groups: [Group]
    let excluded: SocketIOExclusion

    init(_ groups: [Group], excluding excluded: SocketIOExclusion = SocketIOExclusion()) {
        self.groups = groups
        self.excluded = excluded
    }

    /// Groups `handles` by loop: a pointer comparison per socket against the few loops (one per core), no hashing.
    init(_ handles: [SocketIOSocketHandle], excluding excluded: SocketIOExclusion = SocketIOExclusion()) {
        var loops: [EventLoop] = []
        var lists: [[SocketIOSocketHandle]] = []
        for handle in handles {
            let loop = handle.loop
            if let k = loops.firstIndex(where: { $0 === loop }) {
                lists[k].append(handle)
            } else {
                loops.append(loop)
                lists.append([handle])
            }
        }
        self.init(zip(loops, lists).map { ($0, .list($1)) }, excluding: excluded)
    }

    /// The recipients as a list (excluded sockets left out).
    var handles: [SocketIOSocketHandle] {
        var handles: [SocketIOSocketHandle] = []
        for group in groups { Self.visit(group.members, excluded) { handles.append($0) } }
        return handles
    }

    /// Calls `body` for the recipients of the group of `loop`, on that loop.
    static func forEach(_ members: Members, excluding excluded: SocketIOExclusion, on loop: EventLoop,
                        _ body: (SocketIOSocket) -> Void) {
        precondition(loop.isInLoop, "recipients walked off their loop")
        // Checked once above for the whole group, rather than per socket by `handle.socket`.
        visit(members, excluded) { body($0.socketOnItsLoop) }
    }

    private static func visit(_ members: Members, _ excluded: SocketIOExclusion, _ body: (SocketIOSocketHandle) -> Void) {
        members.forEach { handle in if !excluded.contains(handle) { body(handle) } }
    }
}

/// Sockets an operation leaves out (`except`), by identity. A short list is compared in turn (a socket broadcasting to its
/// room leaves out one: itself); a long one is hashed by identity, never by id string.
struct SocketIOExclusion: Sendable {
    private var few: [ObjectIdentifier] = []
    private var many: Set<ObjectIdentifier> = []
    private static let listLimit = 8

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
