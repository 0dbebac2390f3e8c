import AAAnalytics
import Foundation
import Synchronization

/// The trial's trace: stamps events with the time and appends them to the trial's trace file.
/// Errors (opening or writing) are counted, not thrown, so a full disk cannot turn into an agent failure.
public final class TraceRecorder: Sendable {
    private let writer: TraceWriter?
    private let failures: Mutex<Int>
    /// Why the trace file could not be opened, if it could not.
    public let openError: String?

    public init(path: String) {
        do {
            writer = try TraceWriter(path: path)
            openError = nil
            failures = Mutex(0)
        } catch {
            writer = nil
            openError = error.description
            failures = Mutex(1)
        }
    }

    /// Appends an event; `fill` sets the fields that apply to its kind.
    public func record(_ kind: TraceEvent.Kind, step: Int? = nil, _ fill: (inout TraceEvent) -> Void = { _ in }) {
        var event = TraceEvent(kind, time: Date().timeIntervalSince1970, step: step)
        fill(&event)
        guard let writer else { return }
        do { try writer.append(event) } catch { failures.withLock { $0 += 1 } }
    }

    /// Events that could not be written.
    public var writeFailures: Int { failures.withLock { $0 } }

    public func close() {
        guard let writer else { return }
        do { try writer.close() } catch { failures.withLock { $0 += 1 } }
    }
}
