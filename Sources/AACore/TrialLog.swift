import Foundation
import Synchronization

/// The human-readable log of one trial or job (`trial.log`, `job.log`): one timestamped line per event.
public final class TrialLog: Sendable {
    private let handle: Mutex<FileHandle?>

    public init(path: String) {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        handle = Mutex(FileHandle(forWritingAtPath: path))
        handle.withLock { _ = try? $0?.seekToEnd() }
    }

    public func write(_ line: String) {
        let text = "\(ISOTime.string(Date())) \(line)\n"
        handle.withLock { h in try? h?.write(contentsOf: Data(text.utf8)) }
    }

    public func close() {
        handle.withLock { h in
            try? h?.close()
            h = nil
        }
    }
}
