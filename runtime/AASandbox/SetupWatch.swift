import Synchronization

/// Ends sandboxes that are not built by their deadline. One task sweeps every watched sandbox once
/// a second while any is being built, so building a sandbox costs no timer of its own.
final class SetupWatch: Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var settled: @Sendable () -> Bool
        var expire: @Sendable () -> Void
    }

    private let state = Mutex<(entries: [Entry], sweeping: Bool)>(([], false))

    /// Watches a sandbox until the init says it is built or failed, or the sandbox is gone.
    func watch(_ sandbox: Sandbox, deadline: ContinuousClock.Instant) {
        let entry = Entry(
            deadline: deadline,
            settled: { [weak sandbox] in sandbox?.setupSettled ?? true },
            expire: { [weak sandbox] in sandbox?.setupDeadlinePassed() })
        let start = state.withLock { s -> Bool in
            s.entries.append(entry)
            defer { s.sweeping = true }
            return !s.sweeping
        }
        if start { Task { await self.sweep() } }
    }

    private func sweep() async {
        while true {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            let (expired, done) = state.withLock { s -> ([Entry], Bool) in
                s.entries.removeAll { $0.settled() }
                let expired = s.entries.filter { $0.deadline <= now }
                s.entries.removeAll { $0.deadline <= now }
                if s.entries.isEmpty { s.sweeping = false }
                return (expired, s.entries.isEmpty)
            }
            for entry in expired { entry.expire() }
            if done { return }
        }
    }
}
