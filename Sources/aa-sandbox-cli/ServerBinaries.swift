import Glibc

/// The executables a server runs (its own aa-sandbox-cli and the runtime's aa-sandbox-init) as they
/// were when it started: a server whose files were rebuilt or replaced since must not serve the
/// new front ends with old code.
struct ServerBinaries: Sendable {
    /// This server's aa-sandbox-cli, as the front end next to it names it.
    let executable: String
    private let stamps: [String: FileStamp]

    private struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var modified: Int
        var modifiedNanoseconds: Int

        init?(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            modified = st.st_mtim.tv_sec
            modifiedNanoseconds = st.st_mtim.tv_nsec
        }
    }

    init(initBinary: String) {
        executable = executablePath()
        var stamps: [String: FileStamp] = [:]
        for path in [executable, initBinary] { stamps[path] = FileStamp(path) }
        self.stamps = stamps
    }

    /// Whether every file is still the one the server started with.
    var unchanged: Bool {
        stamps.allSatisfy { path, stamp in FileStamp(path) == stamp }
    }
}
