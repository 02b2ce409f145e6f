import ArgumentParser
import Foundation

/// A one-line error for the user and the exit code (1 failure, 2 bad usage or input).
struct CLIFailure: Error {
    var code: Int32
    var message: String
    init(_ code: Int32, _ message: String) { self.code = code; self.message = message }
}

/// Prints a one-line usage error on stderr and returns exit code 2 to throw.
func usageError(_ command: String, _ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("balmer \(command): \(message)\n".utf8))
    return ExitCode(2)
}

extension CLIFailure: CustomStringConvertible {
    var description: String { message }
}
