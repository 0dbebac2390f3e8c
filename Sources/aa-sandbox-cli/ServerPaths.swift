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
