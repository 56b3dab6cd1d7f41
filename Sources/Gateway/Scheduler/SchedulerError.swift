/// Why a job cannot be added or triggered; each case says what to fix.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSchedule(JobKey, CronError)
    case unknownTimeZone(JobKey, String)
    case duplicateJob(JobKey)
    case unknownJob(String)
    /// A manual trigger while a run of the job is still going (here or on another node).
    case alreadyRunning(JobKey)
    /// Another node recorded a manual run of the job at the same millisecond.
    case triggeredElsewhere(JobKey)
    case storage(JobKey, String)

    public var description: String {
        switch self {
        case .invalidSchedule(let job, let error): return "job \(job): \(error)"
        case .unknownTimeZone(let job, let zone):
            return "job \(job): unknown time zone \"\(zone)\"; use an IANA name such as \"Asia/Seoul\" or \"UTC\""
        case .duplicateJob(let job): return "job \(job) is declared twice; job names must be unique within a module"
        case .unknownJob(let name): return "no job named \"\(name)\"; names are <module>.<job>"
        case .alreadyRunning(let job): return "job \(job) is already running; try again when the current run ends"
        case .triggeredElsewhere(let job): return "job \(job) was triggered on another node at the same moment"
        case .storage(let job, let message): return "job \(job): cannot record the run: \(message)"
        }
    }
}
