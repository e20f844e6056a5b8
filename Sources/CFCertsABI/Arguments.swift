import CCFCerts
import CFCerts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading what C hands in, and handing results out. Every refusal is a `CFCertsError` of kind invalidArgument.
enum Arguments {
    /// The longest string argument read (a CSR is about 1-2 KB, a params object far less).
    static let maxStringBytes = 1 << 20

    /// A required C string as Swift text: refused when NULL, longer than 1 MiB, or not UTF-8.
    static func string(_ pointer: UnsafePointer<CChar>?, name: String,
                       maxBytes: Int = maxStringBytes) throws(CFCertsError) -> String {
        guard let pointer else { throw invalid("\(name) is NULL") }
        guard strnlen(pointer, maxBytes + 1) <= maxBytes else {
            throw invalid("\(name) is longer than \(maxBytes) bytes")
        }
        guard let text = String(validatingCString: pointer) else { throw invalid("\(name) is not valid UTF-8") }
        return text
    }

    /// An optional JSON object argument: NULL is an empty object; anything but an object is refused, and so is
    /// any key not in `allowed` (a misspelt parameter should not be silently ignored).
    static func object(_ pointer: UnsafePointer<CChar>?, name: String, allowed: Set<String>)
        throws(CFCertsError) -> JSONObject
    {
        guard pointer != nil else { return JSONObject(fields: [:], name: name) }
        let text = try string(pointer, name: name)
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw invalid("\(name) is not valid JSON")
        }
        guard case .object(let fields) = value else { throw invalid("\(name) must be a JSON object") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw invalid("\(name) has an unknown key '\(unknown.prefix(64))' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
        return JSONObject(fields: fields, name: name)
    }

    /// Writes UTF-8 `bytes` (no NUL among them) to `*out` as a string the caller frees with
    /// cfcerts_string_free(). Returns CFCERTS_OK, or CFCERTS_ENOMEM (with `*out` NULL) when the copy cannot be
    /// allocated.
    static func hand(_ bytes: [UInt8], to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
        guard let copy = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else {
            out.pointee = nil
            return LastError.outOfMemory(bytes: bytes.count + 1)
        }
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { memcpy(copy, base, source.count) }
        }
        copy[bytes.count] = 0
        out.pointee = copy
        return CFCERTS_OK
    }

    /// JSON text of a model, in the API's shapes (no escaped slashes).
    static func json(_ value: some Encodable) throws(CFCertsError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw CFCertsError(kind: .decoding, message: "the result cannot be encoded as JSON")
        }
    }

    static func invalid(_ message: String) -> CFCertsError {
        CFCertsError(kind: .invalidArgument, message: message)
    }
}

/// The fields of a JSON object argument, read with type checks.
struct JSONObject {
    let fields: [String: JSONValue]
    let name: String

    func integer(_ key: String) throws(CFCertsError) -> Int? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw Arguments.invalid("\(name).\(key) must be an integer")
        }
        return Int(number)
    }

    func string(_ key: String) throws(CFCertsError) -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw Arguments.invalid("\(name).\(key) must be a string") }
        return text
    }

    func bool(_ key: String) throws(CFCertsError) -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw Arguments.invalid("\(name).\(key) must be true or false") }
        return flag
    }

    func required<T>(_ value: T?, _ key: String) throws(CFCertsError) -> T {
        guard let value else { throw Arguments.invalid("\(name).\(key) is required") }
        return value
    }
}

/// The common shape of a call that hands out one JSON string: check `out`, run, record any failure.
func handOut(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws(CFCertsError) -> String) -> Int32 {
    handOutBytes(out) { () throws(CFCertsError) in Array(try body().utf8) }
}

/// The common shape of a `_new` call: `*out` NULL unless `body` makes the object, then a +1 pointer to it (released
/// by the matching `_free`).
func handOutObject(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ body: () throws(CFCertsError) -> AnyObject) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do throws(CFCertsError) {
        out.pointee = OpaquePointer(Unmanaged.passRetained(try body()).toOpaque())
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

/// The common shape of a `_next` call: the next item's JSON in `*out`, or CFCERTS_ITEROVER when `body` says the
/// end (nil).
func handOutNext(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws(CFCertsError) -> [UInt8]?) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do throws(CFCertsError) {
        guard let item = try body() else { return CFCERTS_ITEROVER }
        return Arguments.hand(item, to: out)
    } catch {
        return LastError.record(error)
    }
}

/// The common shape of a call that hands out nothing: CFCERTS_OK, or the failure recorded.
func handOutStatus(_ body: () throws(CFCertsError) -> Void) -> Int32 {
    do throws(CFCertsError) {
        try body()
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}

/// `handOut` for a body that builds UTF-8 bytes (no NUL among them).
func handOutBytes(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws(CFCertsError) -> [UInt8]) -> Int32 {
    guard let out else { return LastError.invalid("out is NULL") }
    out.pointee = nil
    do {
        return Arguments.hand(try body(), to: out)
    } catch {
        return LastError.record(error)
    }
}
