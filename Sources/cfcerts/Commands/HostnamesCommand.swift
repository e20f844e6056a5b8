import ArgumentParser
import CFCerts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `cfcerts hostnames list|set|add|remove`: the hostnames on which the edge asks for a client certificate.
struct HostnamesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostnames",
        abstract: "List or change the hostnames on which Cloudflare asks clients for a certificate.",
        discussion: """
            Cloudflare's edge asks for a client certificate of a CA only on the hostnames associated with it, and \
            only a rule (see `cfcerts mtls rule`) blocks the requests that fail. Each CA has one list per zone: \
            without --mtls-certificate-id it is the Cloudflare-managed CA's (the CA of every certificate \
            `cfcerts create` issues). The API replaces a list whole: add and remove read it, write the result and \
            read it back (failing when another writer replaced it after the write; a change another writer makes \
            between the read and the write is lost). Behind a CNAME, associate the name clients use. Reading needs \
            the token permission "SSL and Certificates Read", changing it "SSL and Certificates Write".
            """,
        subcommands: [List.self, Set.self, Add.self, Remove.self])

    struct Selection: ParsableArguments {
        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("The 36-character id of a CA uploaded to mTLS certificate management (default: the Cloudflare-managed CA).",
                                   valueName: "id"))
        var mtlsCertificateID: String?

        @Option(help: "table (a hostname a line) or json ({\"hostnames\": [...]}, the API's result).")
        var output: HostnameOutput = .table
    }

    enum HostnameOutput: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the CA's hostnames.")

        @OptionGroup var selection: Selection

        func run() async throws {
            let zoneID = try selection.connection.zoneID()
            let id = selection.mtlsCertificateID
            let hostnames = try await selection.connection.makeClient().using { client in
                try await client.hostnameAssociations.get(zoneID: zoneID, mtlsCertificateID: id)
            }
            try HostnamesCommand.print(hostnames, as: selection.output)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Replace the CA's whole list with HOST... (no HOST, with --allow-empty: remove them all).")

        @OptionGroup var selection: Selection

        @Flag(help: "Allow the list to become empty: mTLS is then asked on no hostname of the CA.")
        var allowEmpty = false

        @Argument(help: "The hostnames.")
        var hosts: [String] = []

        func run() async throws {
            guard !hosts.isEmpty || allowEmpty else {
                throw CLIFailure("no hostname given: that would remove every hostname of the CA; pass --allow-empty to do so")
            }
            let zoneID = try selection.connection.zoneID()
            let (id, hosts) = (selection.mtlsCertificateID, hosts)
            let hostnames = try await selection.connection.makeClient().using { client in
                try await client.hostnameAssociations.replace(zoneID: zoneID, hostnames: hosts, mtlsCertificateID: id)
            }
            try HostnamesCommand.print(hostnames, as: selection.output)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add HOST... to the CA's list (those already there, in any letter case, stay once), then read it back.")

        @OptionGroup var selection: Selection

        @Argument(help: "The hostnames.")
        var hosts: [String]

        func run() async throws {
            let (id, hosts) = (selection.mtlsCertificateID, hosts)
            try await HostnamesCommand.change(selection, hosts, wanted: true) { associations, zoneID in
                try await associations.add(zoneID: zoneID, hostnames: hosts, mtlsCertificateID: id)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove HOST... (in any letter case) from the CA's list, then read it back.")

        @OptionGroup var selection: Selection

        @Flag(help: "Allow the list to become empty: mTLS is then asked on no hostname of the CA.")
        var allowEmpty = false

        @Argument(help: "The hostnames.")
        var hosts: [String]

        func run() async throws {
            let (id, hosts, allowEmpty) = (selection.mtlsCertificateID, hosts, allowEmpty)
            try await HostnamesCommand.change(selection, hosts, wanted: false) { associations, zoneID in
                try await associations.remove(zoneID: zoneID, hostnames: hosts, mtlsCertificateID: id,
                                              allowingEmpty: allowEmpty)
            }
        }
    }

    /// An add or remove (the API has no conditional write: the list is read, then replaced whole), then the list read
    /// back: the command fails unless `hosts` are all on it (`wanted`) or all off it, so a writer that replaced the
    /// list after this write is noticed. A write by another between this command's read and its write is lost to
    /// it, and cannot be seen from here.
    static func change(_ selection: Selection, _ hosts: [String], wanted: Bool,
                       _ change: @escaping (HostnameAssociations, String) async throws -> [String]) async throws {
        let zoneID = try selection.connection.zoneID()
        let id = selection.mtlsCertificateID
        let readBack = try await selection.connection.makeClient().using { client in
            _ = try await change(client.hostnameAssociations, zoneID)
            return try await client.hostnameAssociations.get(zoneID: zoneID, mtlsCertificateID: id)
        }
        let present = Swift.Set(readBack.map { $0.lowercased() })
        let wrong = hosts.filter { present.contains($0.lowercased()) != wanted }
        guard wrong.isEmpty else {
            throw CLIFailure("the list read back \(wanted ? "lacks" : "still has") \(wrong.joined(separator: ", ").terminalSafe) (another writer replaced it after this command's write): now \(readBack.joined(separator: ", ").terminalSafe)",
                             status: .apiError)
        }
        try print(readBack, as: selection.output)
    }

    static func print(_ hostnames: [String], as format: HostnameOutput) throws {
        switch format {
        case .table:
            for hostname in hostnames { Swift.print(hostname.terminalSafe) }
            if hostnames.isEmpty { StandardError.write("cfcerts: no hostname is associated with the CA (mTLS is asked nowhere)\n") }
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(["hostnames": hostnames]), as: UTF8.self))
        }
    }
}
