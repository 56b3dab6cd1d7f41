import Foundation
import GatewayProtocol

/// A thread that owns one SQLite connection and runs the jobs queued to it. The writer runs everything queued at once in
/// one transaction (group commit: one fsync for many callers); a reader runs jobs one by one.
final class StorageWorker: @unchecked Sendable {
    struct Job {
        /// Runs on the worker's thread with its connection; throws to fail only this job.
        let body: (SQLiteConnection) throws -> Void
        /// Called on the worker's thread once the job's outcome is final (after the commit for writes).
        let finish: (Error?) -> Void
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closing = false
    private var closed = false
    private let groupCommit: Bool
    private let maxBatch: Int
    private var thread: Thread?
    /// Transactions committed (the tests compare it with the number of writes to see grouping work).
    private(set) var commits = 0

    init(name: String, connection: SQLiteConnection, groupCommit: Bool, maxBatch: Int) {
        self.groupCommit = groupCommit
        self.maxBatch = max(1, maxBatch)
        let thread = Thread { [self] in run(connection) }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    func submit(_ job: Job) {
        condition.lock()
        guard !closing else {
            condition.unlock()
            job.finish(StorageError(.closed, "the database is closed"))
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Finishes what is queued, then stops the thread and closes the connection; later jobs fail with `.closed`.
    func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !closed { condition.wait() }
        condition.unlock()
    }

    /// Jobs waiting for the thread (the tests fill the queue before letting a batch start).
    var queuedJobs: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    var committedTransactions: Int {
        condition.lock()
        defer { condition.unlock() }
        return commits
    }

    private func run(_ connection: SQLiteConnection) {
        var connection: SQLiteConnection? = connection
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty && closing {
                connection = nil
                closed = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let count = groupCommit ? min(queue.count, maxBatch) : 1
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            condition.unlock()
            if groupCommit { commit(batch, on: connection!) } else { runAlone(batch[0], on: connection!) }
        }
    }

    private func runAlone(_ job: Job, on connection: SQLiteConnection) {
        do {
            try job.body(connection)
            job.finish(nil)
        } catch {
            job.finish(error)
        }
    }

    /// One `BEGIN IMMEDIATE … COMMIT` for the batch, a savepoint per job so that a failing job only undoes itself.
    private func commit(_ batch: [Job], on connection: SQLiteConnection) {
        var outcomes: [Error?] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try connection.exec("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.finish(error) }
            return
        }
        for job in batch {
            do {
                try connection.exec("SAVEPOINT job")
                do {
                    try job.body(connection)
                    try connection.exec("RELEASE job")
                    outcomes.append(nil)
                } catch {
                    try connection.exec("ROLLBACK TO job")
                    try connection.exec("RELEASE job")
                    outcomes.append(error)
                }
            } catch {
                outcomes.append(error)
            }
        }
        do {
            try connection.exec("COMMIT")
            condition.lock()
            commits += 1
            condition.unlock()
        } catch {
            try? connection.exec("ROLLBACK")
            for job in batch { job.finish(error) }
            return
        }
        for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
    }
}
