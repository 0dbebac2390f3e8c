import Foundation
import Glibc
import TestSupport
import Testing

/// `aa-sandbox run` through the front end and the runtime server, checked from outside.
@Suite(.serialized, .requiresRoot)
struct FrontEndServerTests {
    @Test func exitCodesAndStdioPassThrough() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }

        let r = try state.frontEnd(["run", "--", "/bin/sh", "-c", "echo out; echo err >&2; exit 3"], environment: ["AA_LOG_LEVEL": "debug"])
        #expect(r.status == 3)
        #expect(r.stdout == "out\n")
        #expect(r.stderr.hasPrefix("err\n"))
        #expect(r.stderr.contains("served by the sandbox server"))

        let input = try state.frontEnd(["run", "--stdin", "--", "/bin/cat"], stdin: "hello from stdin\n")
        #expect(input.status == 0)
        #expect(input.stdout == "hello from stdin\n")

        let closed = try state.frontEnd(["run", "--", "/bin/cat"], stdin: "not passed\n")
        #expect(closed.status == 0)
        #expect(closed.stdout.isEmpty)

        let json = try state.frontEnd(["run", "--json", "--stdin", "--", "/bin/sh", "-c", "cat; echo bye >&2; exit 5"], stdin: "captured")
        #expect(json.status == 5)
        let record = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(record?["exitCode"] as? Int == 5)
        #expect(record?["stdout"] as? String == "captured")
        #expect(record?["stderr"] as? String == "bye\n")
        #expect(try runningSandboxes(state.status()).isEmpty)
        #expect(try state.status().stdout.contains("requests served: 4"))
    }

    @Test func requestsThatRepeatAnOptionListKeepTheirOwnCommandAndOptions() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        for (value, word) in [("1", "a"), ("2", "b"), ("1", "c"), ("2", "-- d")] {
            let r = try state.frontEnd(["run", "--env", "X=\(value)", "--", "/bin/sh", "-c", "echo $X \"$1\"", "sh", word])
            #expect(r.status == 0)
            #expect(r.stdout == "\(value) \(word)\n")
        }
        let separator = try state.frontEnd(["run", "--", "--", "/bin/echo"])
        let local = try state.frontEnd(["run", "--", "--", "/bin/echo"], environment: ["AA_SANDBOX_SERVER": "0"])
        #expect(separator.status == local.status)
        #expect(separator.stdout == local.stdout)
        #expect(separator.stderr == local.stderr)
    }

    @Test func wallTimeEndsWith124() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        let r = try state.frontEnd(["run", "--wall-time", "0.5", "--", "/bin/sleep", "30"])
        #expect(r.status == 124)
        #expect(r.stderr.contains("wall-clock limit reached"))
    }

    @Test func aForwardedSignalEndsTheSandboxWith128PlusN() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        let client = try state.startFrontEnd(["run", "--", "/bin/sleep", "30"])
        var sandboxes: [Int32] = []
        #expect(try state.eventually { sandboxes = runningSandboxes(try state.status()); return sandboxes.count == 1 })
        kill(client.processIdentifier, SIGTERM)
        client.waitUntilExit()
        #expect(client.terminationReason == .exit)
        #expect(client.terminationStatus == 128 + SIGTERM)
        #expect(state.eventually { !sandboxes.contains(where: processExists) })
    }

    @Test func aKilledFrontEndTakesItsSandboxWithIt() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        let client = try state.startFrontEnd(["run", "--", "/bin/sleep", "30"])
        var sandboxes: [Int32] = []
        #expect(try state.eventually { sandboxes = runningSandboxes(try state.status()); return sandboxes.count == 1 })
        #expect(sandboxes.allSatisfy(processExists))
        kill(client.processIdentifier, SIGKILL)
        client.waitUntilExit()
        #expect(state.eventually(seconds: 5) { !sandboxes.contains(where: processExists) })
        #expect(try state.eventually(seconds: 5) { runningSandboxes(try state.status()).isEmpty })
    }

    @Test func aKilledFrontEndStillWritingStdinEndsItsRequest() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        let input = Pipe()
        let client = try state.startFrontEnd(["run", "--json", "--stdin", "--", "/bin/cat"], stdin: input)
        #expect(try state.eventually { try state.status().stdout.contains("requests served: 1") })
        kill(client.processIdentifier, SIGKILL)
        client.waitUntilExit()
        let stop = try Executables.run("aa-sandbox-cli", ["server", "stop", "--timeout", "10"], environment: state.environment)
        #expect(stop.status == 0, "the server still waits on the killed front end's stdin")
        try input.fileHandleForWriting.close()
    }

    @Test func relativeBindSourcesAreTheFrontEndsDirectory() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        let data = state.directory + "/client-data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try "bound from the client's directory\n".write(toFile: data + "/note", atomically: true, encoding: .utf8)
        #expect(chmod(data, 0o777) == 0)
        let r = try state.frontEnd(
            ["run", "--bind", "client-data:/mnt/data", "--", "/bin/sh", "-c", "cat /mnt/data/note && echo written > /mnt/data/reply"],
            in: state.directory)
        #expect(r.status == 0)
        #expect(r.stdout == "bound from the client's directory\n")
        #expect((try? String(contentsOfFile: data + "/reply", encoding: .utf8)) == "written\n")
        #expect(try state.status().stdout.contains("requests served: 1"))
    }

    @Test func anInvalidOptionFailsAlikeWithAndWithoutTheServer() throws {
        let state = try PrivateState.serving()
        defer { state.cleanUp() }
        for arguments in [["run", "--no-such-option", "--", "/bin/true"], ["run", "--memory", "lots", "--", "/bin/true"], ["run"]] {
            let served = try state.frontEnd(arguments)
            let local = try state.frontEnd(arguments, environment: ["AA_SANDBOX_SERVER": "0"])
            #expect(served.status == local.status)
            #expect(served.status != 0)
            #expect(served.stderr == local.stderr)
            #expect(!served.stderr.isEmpty)
        }
        #expect(try state.status().stdout.contains("requests served: 3"))
    }

    @Test func anIdleServerExitsAndLeavesNothing() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let server = try state.startServer(idleExit: 1)
        let status = try state.waitForServer()
        #expect(status.status == 0)
        let slots = status.stdout.split(separator: "\n").filter { $0.hasPrefix("slot cgroup: ") }.map { String($0.dropFirst(13)) }
        #expect(try state.frontEnd(["run", "--", "/bin/true"]).status == 0)
        #expect(state.eventually(seconds: 20) { !server.isRunning })
        #expect(server.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: state.socket))
        for slot in slots { #expect(!FileManager.default.fileExists(atPath: slot), "slot cgroup \(slot) left behind") }
        #expect(hostProcesses(containing: state.directory).isEmpty)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(state.directory))
        #expect(try state.status().status == 1)
    }

    @Test func sigtermStopsTheServerCleanly() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let server = try state.startServer()
        let status = try state.waitForServer()
        #expect(status.status == 0)
        let slots = status.stdout.split(separator: "\n").filter { $0.hasPrefix("slot cgroup: ") }.map { String($0.dropFirst(13)) }
        #expect(!slots.isEmpty)
        kill(server.processIdentifier, SIGTERM)
        #expect(state.eventually { !server.isRunning })
        #expect(server.terminationReason == .exit)
        #expect(server.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: state.socket))
        for slot in slots { #expect(!FileManager.default.fileExists(atPath: slot), "slot cgroup \(slot) left behind") }
        #expect(hostProcesses(containing: state.directory).isEmpty)
    }

    @Test func serverZeroNeverStartsAServer() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let r = try state.frontEnd(["run", "--", "/bin/echo", "in-process"], environment: ["AA_SANDBOX_SERVER": "0"])
        #expect(r.status == 0)
        #expect(r.stdout == "in-process\n")
        usleep(500_000)
        #expect(!FileManager.default.fileExists(atPath: state.socket))
        #expect(hostProcesses(containing: "serve").allSatisfy { pid in
            !((try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)) ?? "").contains(state.directory)
        })
        #expect(try state.status().status == 1)
    }

    @Test func theFirstLaunchRunsInProcessAndStartsAServer() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let first = try state.frontEnd(["run", "--", "/bin/echo", "first"], environment: ["AA_LOG_LEVEL": "debug"])
        #expect(first.status == 0)
        #expect(first.stdout == "first\n")
        #expect(!first.stderr.contains("served by the sandbox server"))
        #expect(try state.waitForServer().status == 0)
        let second = try state.frontEnd(["run", "--", "/bin/echo", "second"], environment: ["AA_LOG_LEVEL": "debug"])
        #expect(second.status == 0)
        #expect(second.stdout == "second\n")
        #expect(second.stderr.contains("served by the sandbox server"))
    }

    @Test func aServerServesOnlyItsOwnAndUnchangedCLI() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let copy = try state.copyOfTheBinaries()
        let server = try state.startServer(binaries: copy)
        #expect(try state.waitForServer().status == 0)
        let debug = ["AA_LOG_LEVEL": "debug"]
        let own = try state.frontEnd(["run", "--", "/bin/echo", "own"], environment: debug, binaries: copy)
        #expect(own.stdout == "own\n")
        #expect(own.stderr.contains("served by the sandbox server"))
        let other = try state.frontEnd(["run", "--", "/bin/echo", "other"], environment: debug)
        #expect(other.status == 0)
        #expect(other.stdout == "other\n")
        #expect(!other.stderr.contains("served by the sandbox server"))
        #expect(server.isRunning)

        // A rebuild replaces the file: the old server refuses, runs nothing more and stops.
        try FileManager.default.copyItem(atPath: copy + "/aa-sandbox-cli", toPath: copy + "/aa-sandbox-cli.new")
        #expect(rename(copy + "/aa-sandbox-cli.new", copy + "/aa-sandbox-cli") == 0)
        let rebuilt = try state.frontEnd(["run", "--", "/bin/echo", "rebuilt"], environment: debug, binaries: copy)
        #expect(rebuilt.status == 0)
        #expect(rebuilt.stdout == "rebuilt\n")
        #expect(!rebuilt.stderr.contains("served by the sandbox server"))
        #expect(state.eventually { !server.isRunning })
        #expect(server.terminationStatus == 0)
    }

    @Test func ofTwoRacingServersOneWins() throws {
        let state = try PrivateState()
        defer { state.cleanUp() }
        let errors = (Pipe(), Pipe())
        let servers = [try state.startServer(errors: errors.0), try state.startServer(errors: errors.1)]
        #expect(state.eventually(seconds: 30) { servers.filter(\.isRunning).count == 1 })
        let loser = try #require(servers.first { !$0.isRunning })
        #expect(loser.terminationStatus == 1)
        let loserErrors = (loser === servers[0] ? errors.0 : errors.1).fileHandleForReading.readDataToEndOfFile()
        #expect(String(decoding: loserErrors, as: UTF8.self).contains("a server already serves"))
        let status = try state.waitForServer()
        let winner = try #require(servers.first { $0.isRunning })
        #expect(status.stdout.contains("server pid \(winner.processIdentifier) "))
        #expect(try state.frontEnd(["run", "--", "/bin/true"]).status == 0)
        #expect(try Executables.run("aa-sandbox-cli", ["server", "stop"], environment: state.environment).status == 0)
        #expect(state.eventually { !winner.isRunning })
    }
}
