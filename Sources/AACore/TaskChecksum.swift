/// A task's content checksum (sha256 over every path, mode and file under its directory).
enum TaskChecksum {
    static func of(_ directory: String) -> String {
        var hasher = SHA256()
        FileTree.hash(directory, as: ".", into: &hasher)
        return hasher.finalizeHex()
    }
}
