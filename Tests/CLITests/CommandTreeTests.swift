import Foundation
import Testing

/// Runs the built executables as a user would.
enum Executables {
    static var directory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    }

    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: directory + "/" + name)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

@Suite struct CommandTreeTests {
    @Test func aaHelpListsEveryCommand() throws {
        let r = try Executables.run("aa", ["--help"])
        #expect(r.status == 0)
        for command in ["run", "tasks", "analyze", "templates", "optimize", "report"] {
            #expect(r.stdout.contains("\n  \(command) "), "aa --help lacks \(command)")
        }
    }

    @Test func aaSandboxHelpListsEveryCommand() throws {
        let r = try Executables.run("aa-sandbox", ["--help"])
        #expect(r.status == 0)
        for command in ["run", "shell", "probe", "bench"] {
            #expect(r.stdout.contains("\n  \(command) "), "aa-sandbox --help lacks \(command)")
        }
    }

    @Test func unknownOptionsFailWithAMessage() throws {
        let r = try Executables.run("aa-sandbox", ["run", "--no-such-option", "--", "/bin/true"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no-such-option"))
    }
}
