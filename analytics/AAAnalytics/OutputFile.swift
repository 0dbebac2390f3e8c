import Foundation
import Glibc

/// Writes the file a user named for a command's output (a report, an analysis).
public enum OutputFile {
    /// Replaces a regular file (or creates a missing one) atomically, so readers never see half of
    /// it; writes in place into anything else the path names, such as /dev/null, /dev/stdout or a
    /// FIFO, which a rename over it would replace with a regular file.
    public static func write(_ data: Data, to path: String) throws {
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            return
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
