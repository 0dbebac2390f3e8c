import Glibc

/// A failed system call of the server, naming the call and the path.
struct ServerError: Error, CustomStringConvertible {
    var call: String
    var path: String
    var errno: Int32

    var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
}
