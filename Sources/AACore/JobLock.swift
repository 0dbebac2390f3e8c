import Foundation
import Glibc

/// An exclusive lock on one job, held while a process runs it, so two `aa run` processes never
/// drive the same job (and never run a trial twice). The kernel drops it when the process dies.
final class JobLock {
    private let fd: Int32

    /// Takes the lock or throws a `JobError` saying which process holds it.
    init(path: String, job: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JobError("cannot open the job lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, buf.count, 0)
            let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw JobError("job \(job) is being run by another aa process (pid \(holder)); wait for it or stop it first")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
