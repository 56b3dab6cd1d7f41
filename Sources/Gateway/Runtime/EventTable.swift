/// A namespace's event handlers, found by name without hashing it: names are grouped by UTF-8 length (O(1) for a native
/// string), then compared; only the handler found is copied out. A dictionary hashed the name on every event, ~750
/// instructions of a ~26,000-instruction echo round trip; a namespace has tens of events, and few share a length.
/// A class: every socket's session refers to its namespace's table (one reference, not two arrays).
final class EventTable<Handler: Sendable>: Sendable {
    private let names: [[String]]
    private let handlers: [[Handler]]

    init(_ table: [String: Handler]) {
        var names: [[String]] = []
        var handlers: [[Handler]] = []
        for (name, handler) in table {
            let n = name.utf8.count
            if names.count <= n {
                names += Array(repeating: [], count: n + 1 - names.count)
                handlers += Array(repeating: [], count: n + 1 - handlers.count)
            }
            names[n].append(name)
            handlers[n].append(handler)
        }
        self.names = names
        self.handlers = handlers
    }

    subscript(name: String) -> Handler? {
        let n = name.utf8.count
        guard n < names.count, let k = names[n].firstIndex(of: name) else { return nil }
        return handlers[n][k]
    }
}
