import ArgumentParser
import CFCerts

/// What `plan` and `apply` share: the manifest and its state folder.
struct FleetOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")],
            help: ArgumentHelp("The manifest: YAML (.yaml, .yml) or JSON (.json).", valueName: "manifest"))
    var file: String

    @Option(help: ArgumentHelp("The state folder (0700; which certificate is each entry's, their keys, an unfinished apply) (default: the manifest's name with .state, beside it: fleet.yaml -> fleet.state).",
                               valueName: "dir"))
    var state: String?

    var stateFolder: String {
        if let state { return state }
        var base = file
        for suffix in [".yaml", ".yml", ".json"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        return base + ".state"
    }

    func manifest() throws -> FleetManifest { try ManifestFile.load(file) }
}
