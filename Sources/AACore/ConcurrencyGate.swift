import Synchronization

/// Limits how many calls run at once; waiters are served in arrival order.
final class ConcurrencyGate: Sendable {
    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = max(1, limit) }

    /// Waits for a free slot.
    func acquire() async {
        let admitted = state.withLock { s -> Bool in
            guard s.running < limit else { return false }
            s.running += 1
            return true
        }
        if admitted { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.running < limit {
                    s.running += 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Frees a slot, handing it to the oldest waiter.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    private static let shared = Mutex<[String: ConcurrencyGate]>([:])

    /// The process-wide gate of a provider endpoint; the first caller's limit sticks.
    static func forEndpoint(_ key: String, limit: Int) -> ConcurrencyGate {
        shared.withLock { gates in
            if let gate = gates[key] { return gate }
            let gate = ConcurrencyGate(limit: limit)
            gates[key] = gate
            return gate
        }
    }
}
