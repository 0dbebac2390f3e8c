import Foundation

/// Reads the verifier's reward the way Harbor does: `reward.json` (a flat map of numbers) if it
/// exists, else `reward.txt` (one number, becoming `{"reward": n}`). Files are opened without
/// following symlinks, so a link planted in the folder cannot point the reader elsewhere.
public enum RewardFile {
    public static func read(verifierDirectory dir: String) throws(TrialFailure) -> [String: Double] {
        if let json = try contents(dir + "/reward.json") {
            guard !json.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) else {
                throw TrialFailure(.rewardFileEmpty, "reward.json is empty")
            }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json)), case .object(let map) = value else {
                throw TrialFailure(.verifierOutputParse, "reward.json is not a JSON object")
            }
            var rewards: [String: Double] = [:]
            for (key, v) in map {
                guard let n = v.number, n.isFinite else {
                    throw TrialFailure(.verifierOutputParse, "reward.json: \"\(key)\" is \(v.typeName), not a number")
                }
                rewards[key] = n
            }
            return rewards
        }
        if let txt = try contents(dir + "/reward.txt") {
            let text = String(decoding: txt, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw TrialFailure(.rewardFileEmpty, "reward.txt is empty") }
            guard let n = Double(text), n.isFinite else {
                throw TrialFailure(.verifierOutputParse, "reward.txt is not a number: \(text.prefix(80))")
            }
            return ["reward": n]
        }
        throw TrialFailure(.rewardFileNotFound, "the verifier wrote neither /logs/verifier/reward.json nor reward.txt")
    }

    /// The file's bytes (at most 1 MiB), nil when it does not exist; a symlink or non-regular file is a parse error.
    private static func contents(_ path: String) throws(TrialFailure) -> [UInt8]? {
        do {
            return try FileTree.readRegularFile(path, limit: 1 << 20)
        } catch {
            throw TrialFailure(.verifierOutputParse, "\((path as NSString).lastPathComponent): \(error)")
        }
    }
}
