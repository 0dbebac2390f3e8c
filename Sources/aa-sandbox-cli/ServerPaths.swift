import CAutoAgentFrontEnd
import Glibc

/// Where the runtime and its server keep their state: $AA_SANDBOX_STATE, else /run/aa-sandbox.
/// The front end looks for the server's socket in the same folder.
struct ServerPaths {
    let stateDirectory: String

    init(stateDirectory: String = ServerPaths.configuredStateDirectory) {
        self.stateDirectory = stateDirectory
    }

    static var configuredStateDirectory: String {
        if let value = getenv(AAF_STATE_ENV), value.pointee != 0 { return String(cString: value) }
        return AAF_DEFAULT_STATE
    }

    var socket: String { stateDirectory + "/" + AAF_SOCKET_NAME }
    var lock: String { stateDirectory + "/" + AAF_LOCK_NAME }
    var log: String { stateDirectory + "/" + AAF_LOG_NAME }
}

/// This executable's path (/proc/self/exe).
func executablePath() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
