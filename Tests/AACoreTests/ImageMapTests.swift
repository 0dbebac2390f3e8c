@testable import AACore
import Foundation
import Testing

@Suite struct ImageMapTests {
    @Test(arguments: ["debian:bookworm", "debian:12-slim", "python:3.13-slim-bookworm", "python:3.11-slim", "ubuntu:24.04"])
    func debianFamilyFallsBackWithAWarning(image: String) throws {
        let r = try ImageMap().resolve(image)
        #expect(r.base == .host)
        #expect(r.warning?.contains(image) == true)
    }

    @Test func unknownImagesAreErrorsWithAHint() {
        do {
            _ = try ImageMap().resolve("alpine:3.20")
            Issue.record("alpine resolved")
        } catch {
            #expect(error.description.contains("--image-map"))
        }
    }

    @Test func mapFileEntriesWinWithoutWarning() throws {
        let path = FileManager.default.temporaryDirectory.path + "/aa-images-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[images]\n\"alpine:*\" = \"/srv/rootfs/alpine\"\n\"debian:bookworm\" = \"host\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let map = try ImageMap.load(path: path)
        #expect(try map.resolve("alpine:3.20") == .init(base: .directory("/srv/rootfs/alpine"), warning: nil))
        #expect(try map.resolve("debian:bookworm") == .init(base: .host, warning: nil))
    }

    @Test func badMapEntriesNameTheKey() throws {
        let path = FileManager.default.temporaryDirectory.path + "/aa-images-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[images]\n\"alpine:*\" = \"relative/path\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TaskError.self) { try ImageMap.load(path: path) }
        do { _ = try ImageMap.load(path: path) } catch { #expect(error.location == "images.alpine:*") }
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(String(repeating: "a", count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite struct EnvTemplateTests {
    @Test func expandsFromTheHost() throws {
        let host = ["HOME": "/root", "EMPTY": ""]
        let out = try EnvTemplate.expand(["A": "${HOME}/x", "B": "${MISSING:-dflt}", "C": "${EMPTY:-d}", "D": "plain"],
                                         field: "verifier.env", task: "t", host: host)
        #expect(out == ["A": "/root/x", "B": "dflt", "C": "d", "D": "plain"])
    }

    @Test func unsetVariablesNameTheField() {
        do {
            _ = try EnvTemplate.expand(["TOKEN": "${NOPE}"], field: "verifier.env", task: "t", host: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.location == "verifier.env.TOKEN")
        }
    }
}
