import AASandbox
import Foundation
import Glibc
import Testing

/// The default base over the host's root: what shows through, what is hidden, and that entries the
/// host gains later are hidden too.
@Suite(.requiresRoot) struct HostRootTests {
    @Test func onlySystemDirectoriesShowThrough() async throws {
        let r = try await sh("ls -A /; echo --; ls -A /var; echo --; ls -A /var/lib; echo --; for d in /tmp /root /home /var/tmp /var/log; do ls -A $d; done; ls -A /run")
        let parts = r.stdoutText.components(separatedBy: "--\n")
        #expect(parts.count == 4)
        let top = Set(parts[0].split(separator: "\n").map(String.init))
        #expect(top.isSuperset(of: ["usr", "etc", "var", "tmp", "root", "home", "proc", "sys", "dev", "run"]))
        let hostTop = (try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? []
        for name in hostTop where !top.contains(name) {
            #expect(!["usr", "etc", "var"].contains(name))
        }
        for name in top {
            #expect(hostTop.contains(name) || ["boot", "home", "media", "mnt", "opt", "proc", "root", "run", "srv", "sys", "dev", "tmp"].contains(name),
                    "\(name) appears inside but not on the host")
        }
        #expect(Set(parts[2].split(separator: "\n").map(String.init)).isSubset(of: ["dpkg", "apt"]))
        #expect(parts[3] == "lock\n", "emptied directories start empty (/run holds only lock)")
    }

    @Test func hostEntriesAddedLaterStayHidden() async throws {
        let before = try await sh("ls -A /")
        #expect(before.exitCode == 0)
        let top = "/" + marker("top")
        let varLib = "/var/lib/" + marker("varlib")
        try FileManager.default.createDirectory(atPath: top, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: varLib, withIntermediateDirectories: false)
        try "secret\n".write(toFile: top + "/secret", atomically: false, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: top)
            try? FileManager.default.removeItem(atPath: varLib)
        }
        let listing = try await sh("ls -A / /var/lib")
        #expect(listing.exitCode == 0)
        #expect(!listing.stdoutText.contains(String(top.dropFirst())))
        #expect(!listing.stdoutText.contains(String(varLib.split(separator: "/").last!)))
        let read = try await sh("cat \(top)/secret")
        #expect(read.exitCode != 0)
        #expect(read.stdoutText.isEmpty)
    }

    @Test func privateEtcFilesAreHidden() async throws {
        let name = marker("etc")
        let path = "/etc/" + name
        try "private\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        defer { unlink(path) }
        let r = try await sh("ls /etc/\(name) 2>&1; cat /etc/shadow 2>&1; ls /etc/passwd")
        #expect(r.stdoutText.contains("'/etc/\(name)': No such file"), "a private file added to /etc after the runtime started is hidden")
        #expect(r.stdoutText.contains("/etc/shadow: No such file"))
        #expect(r.stdoutText.contains("/etc/passwd\n"))
    }

    @Test func writesStayInTheSandbox() async throws {
        let name = marker("write")
        let r = try await sh("echo x > /usr/\(name) && echo y > /\(name) && mkdir /var/lib/\(name) && cat /usr/\(name) /\(name)")
        #expect(r.stdoutText == "x\ny\n")
        #expect(!FileManager.default.fileExists(atPath: "/usr/" + name))
        #expect(!FileManager.default.fileExists(atPath: "/" + name))
        #expect(!FileManager.default.fileExists(atPath: "/var/lib/" + name))
    }
}
