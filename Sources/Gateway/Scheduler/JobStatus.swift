/// What the admin routes show of a job.
public struct JobStatus: Sendable, Equatable {
    public let job: JobKey
    public let schedule: String
    public let timeZone: String
    /// True while a run is going on this node.
    public let running: Bool
    /// The most recent record (any outcome, manual or scheduled), from the shared database.
    public let lastRun: JobRunRecord?
    public let nextRunMs: Int64?
}
