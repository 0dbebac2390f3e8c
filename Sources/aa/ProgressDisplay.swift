import AACore
import Foundation
import Glibc

/// Shows a job's progress: a redrawn bar on a terminal, a line every few seconds otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private let tty: Bool
    private let quiet: Bool
    private let started = Date()
    private var total = 0
    private var done = 0
    private var passed = 0
    private var errors = 0
    private var running = 0
    private var lastLine = Date.distantPast
    private let interval: TimeInterval

    init(quiet: Bool, interval: TimeInterval = 10) {
        tty = isatty(STDERR_FILENO) == 1
        self.quiet = quiet
        self.interval = interval
    }

    func handle(_ event: JobEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let dir, let total, let already, let alreadyPassed, let resumed):
            self.total = total
            done = already
            passed = alreadyPassed
            if !quiet {
                emit(resumed ? "resuming \(dir): \(already) of \(total) trials already done" : "job \(dir): \(total) trials")
            }
        case .trialStarted:
            running += 1
            if !tty { return }
        case .trialFinished(let record, let done, _):
            running = max(0, running - 1)
            self.done = done
            if record.reward >= 1 { passed += 1 }
            if record.exceptionInfo != nil { errors += 1 }
        case .retrying(let task, let failure):
            running = max(0, running - 1)
            if !quiet { emit("retrying \(task) after \(failure)") }
        }
        render()
    }

    /// Clears the bar before the closing table.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if tty && !quiet { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func emit(_ line: String) {
        let prefix = tty ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data((prefix + line + "\n").utf8))
    }

    private func render() {
        guard !quiet, total > 0 else { return }
        let elapsed = Self.duration(Date().timeIntervalSince(started))
        let status = "\(done)/\(total) trials  \(passed) passed  \(errors) errors  \(running) running  \(elapsed)"
        if tty {
            let width = 30
            let filled = Int(Double(width) * Double(done) / Double(total))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(bar) \(status)".utf8))
        } else if Date().timeIntervalSince(lastLine) >= interval || done == total {
            lastLine = Date()
            FileHandle.standardError.write(Data("progress: \(status)\n".utf8))
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
