import AAAnalytics
import Foundation
import Glibc
import Testing

@Suite struct OutputFileTests {
    @Test func regularFilesAreReplacedAndMissingOnesCreated() throws {
        let dir = NSTemporaryDirectory() + "aa-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try OutputFile.write(Data("first\n".utf8), to: dir + "/report.html")
        try OutputFile.write(Data("second\n".utf8), to: dir + "/report.html")
        #expect(try String(contentsOfFile: dir + "/report.html", encoding: .utf8) == "second\n")
    }

    /// A device the user names (here a private /dev/null) is written through, never renamed over.
    @Test(.enabled(if: geteuid() == 0, "mknod needs root")) func devicesAreWrittenInPlace() throws {
        let dir = NSTemporaryDirectory() + "aa-output-dev-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let null = dir + "/null"
        #expect(mknod(null, S_IFCHR | 0o666, dev_t(0x103)) == 0) // major 1, minor 3: the null device
        try OutputFile.write(Data("discarded\n".utf8), to: null)
        var st = stat()
        #expect(lstat(null, &st) == 0)
        #expect((st.st_mode & S_IFMT) == S_IFCHR, "the device was replaced by a regular file")
    }
}
