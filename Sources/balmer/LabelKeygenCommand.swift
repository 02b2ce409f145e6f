import ArgumentParser
import BalmerLabeling
import Foundation

/// `balmer label keygen`: makes a labeller's Ed25519 key pair. The private key goes into
/// `DIR/NAME.ed25519` (mode 0600, never overwritten) for `balmer label --key`; the public
/// entry for `loop.labellers` is printed on stdout, for the operator to list.
struct LabelKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a labeller's signing key: writes DIR/NAME.ed25519 (private, 0600) and prints its loop.labellers entry.",
        discussion: """
            Give the private key file to the labeller only (balmer label --key FILE, or \
            BALMER_LABEL_KEY); give the printed line NAME:ed25519:<public key> to the operator, who \
            adds it to loop.labellers. An existing key file is never replaced.
            """)

    /// The labeller's name (required here): the key signs this name's answers only.
    @OptionGroup var name: LabellerOption
    var labeller: String { name.labeller ?? "" }

    @Option(help: "Folder to write NAME.ed25519 into (created, mode 0700, when missing).")
    var out: String = "."

    func validate() throws {
        guard name.labeller != nil else { throw ValidationError("give --labeller NAME: whose key it is") }
        if let problem = LabellerName.problem(labeller) { throw ValidationError("--labeller: \(problem)") }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIFailure(1, "label keygen: cannot create \(out): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw CLIFailure(2, "label keygen: --out \(out) is not a folder")
        }
        let key: LabelSigningKey
        let path: String
        do {
            key = try LabelSigningKey.generate(labeller: labeller)
            path = try key.write(toDirectory: out)
        } catch {
            throw CLIFailure(1, "label keygen: \(error.description)")
        }
        FileHandle.standardError.write(Data("""
            balmer label keygen: wrote \(path) (private key of \(labeller), mode 0600: give it to \(labeller) only, for balmer label --key)
            balmer label keygen: add this entry to loop.labellers (public key \(key.publicKey.fingerprint)):

            """.utf8))
        print(key.rosterEntry)
    }
}
