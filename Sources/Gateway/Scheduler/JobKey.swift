/// A job's identity: the owning module and the job's name within it (`<module>.<name>` in routes and logs).
public struct JobKey: Hashable, Sendable, CustomStringConvertible {
    public let module: String
    public let name: String
    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }
    public var description: String { "\(module).\(name)" }
}
