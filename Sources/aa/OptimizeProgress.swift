import AACore
import Foundation
import Synchronization

/// Shows an optimize run's progress on stderr: a line per stage and decision, and the running
/// job's trials (a bar on a TTY, periodic lines otherwise).
final class OptimizeProgress: Sendable {
    private let quiet: Bool
    private let jobs = Mutex<[String: ProgressDisplay]>([:])

    init(quiet: Bool) {
        self.quiet = quiet
    }

    func handle(_ event: OptimizeEvent) {
        guard !quiet else { return }
        switch event {
        case .note(let line):
            printError(line)
        case .finished(let record):
            var line = "experiment \(record.id): \(record.status.rawValue.uppercased())"
            if let score = record.avgScore { line += String(format: "  search %.3f", score) }
            if let parent = record.parentScore, record.id > 0 { line += String(format: " (parent %.3f)", parent) }
            if let p = record.pValue { line += String(format: "  p %.4f", p) }
            if let validation = record.validationScore { line += String(format: "  validation %.3f", validation) }
            printError(line + String(format: "  $%.4f  ", record.costUSD) + record.reason)
        case .job(let experiment, let stage, let jobEvent):
            let key = "\(experiment)/\(stage)"
            let display = jobs.withLock { displays -> ProgressDisplay in
                if let existing = displays[key] { return existing }
                let display = ProgressDisplay(quiet: false)
                displays[key] = display
                return display
            }
            display.handle(jobEvent)
            if case .trialFinished(_, let done, let total) = jobEvent, done == total {
                display.finish()
                _ = jobs.withLock { $0.removeValue(forKey: key) }
            }
        }
    }
}
