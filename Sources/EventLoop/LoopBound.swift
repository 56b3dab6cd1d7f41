// One way to carry a loop-confined object through a `@Sendable` closure (`EventLoop.execute`) back to its own loop.

/// A value confined to one loop, carried through `@Sendable` closures to be used back on that loop only.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let _value: Value

    public init(_ value: Value, loop: EventLoop) {
        self.loop = loop
        self._value = value
    }

    /// The value; on the loop's thread only.
    public var value: Value {
        precondition(loop.isInLoop, "a loop-bound value was used off its loop")
        return _value
    }
}
