import Foundation
import Synchronization

/// Progress on stderr for long commands: a redrawn bar on a TTY, a line every few seconds otherwise.
final class Progress {
    private let label: String
    private var total: Int?
    private let isTTY = isatty(STDERR_FILENO) != 0
    private let started = Date()
    private var lastReport = Date()
    private var shown = false

    init(_ label: String, total: Int? = nil) {
        self.label = label
        self.total = total
    }

    /// Reports `done` units (of a total learnt late, if given); cheap to call often.
    func update(_ done: Int, total: Int? = nil) {
        if let total { self.total = total }
        let now = Date()
        let interval = isTTY ? 0.1 : 5.0
        guard now.timeIntervalSince(lastReport) >= interval else { return }
        lastReport = now
        shown = true
        if isTTY {
            write("\r\u{1b}[K" + text(done))
        } else {
            write(text(done) + "\n")
        }
    }

    /// Ends the progress display with a summary line.
    func finish(_ summary: String) {
        if isTTY && shown { write("\r\u{1b}[K") }
        write("\(label): \(summary) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s\n")
    }

    private func text(_ done: Int) -> String {
        guard let total, total > 0 else { return "\(label): \(done)" }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(label) [\(bar)] \(done)/\(total)"
    }

    private func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

/// A progress display that concurrent workers may update.
final class SharedProgress: Sendable {
    private let progress: Mutex<Progress>

    init(_ label: String) { progress = Mutex(Progress(label)) }

    func update(_ done: Int, _ total: Int) { progress.withLock { $0.update(done, total: total) } }
    func finish(_ summary: String) { progress.withLock { $0.finish(summary) } }
}
