/// First in, first out, O(1) both ends amortised: an array read from a moving head, compacted once half of it is
/// spent (the standard library has no deque).
struct FIFOQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }

    mutating func append(_ item: Element) { items.append(item) }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        items.removeFirst(head)
        head = 0
        items.removeAll(where: shouldRemove)
    }
}
