import Foundation

/// Ids in the API's form: 32 lower-case hex digits (the schema's identifier is at most 32 characters; the API
/// reference shows `023e105f4ecef8ad9ca31a8372d0c353`), 128 random bits.
enum Identifier {
    static func make() -> String {
        UUID().uuidString.lowercased().filter { $0 != "-" }
    }
}
