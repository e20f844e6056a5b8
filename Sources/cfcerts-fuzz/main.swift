// cfcerts-fuzz: the fuzz targets (see FuzzTargets).
//
// Built plainly, it replays corpora: `cfcerts-fuzz replay Tests/fuzz/corpus` runs every file of every target's
// folder once and reports the slowest input (`make test` runs it). Built for fuzzing (`make fuzz`:
// -sanitize=fuzzer,address -DFUZZING), it is libFuzzer with the target named by CFCERTS_FUZZ_TARGET, and takes
// libFuzzer's arguments (a corpus folder, -max_total_time=N, ...).
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One line on standard error.
func complain(_ text: String, _: Any? = nil) {
    FileHandle.standardError.write(Data(text.utf8))
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The target CFCERTS_FUZZ_TARGET names, found on first use.
let selected: ([UInt8]) -> Void = {
    guard let name = ProcessInfo.processInfo.environment["CFCERTS_FUZZ_TARGET"], let target = FuzzTargets.target(named: name) else {
        complain("set CFCERTS_FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n")
        exit(2)
    }
    return target
}()

/// libFuzzer's entry: whichever `main` the link keeps (libFuzzer's, or this file's), inputs arrive here.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

_ = selected
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
#else
let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "replay" else {
    complain("usage: cfcerts-fuzz replay CORPUS_FOLDER (one folder per target: \(FuzzTargets.names.joined(separator: ", ")))\n")
    exit(2)
}
let corpus = arguments[2]
var replayed = 0
var slowest = (seconds: 0.0, input: "")
for name in FuzzTargets.names {
    guard let target = FuzzTargets.target(named: name) else { continue }
    let folder = corpus + "/" + name
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    guard !files.isEmpty else {
        complain("no corpus for \(name) in \(folder)\n")
        exit(1)
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: folder + "/" + file) else { continue }
        let started = ContinuousClock.now
        target(Array(data))
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        if elapsed > slowest.seconds { slowest = (elapsed, name + "/" + file) }
        replayed += 1
    }
    print("\(name): \(files.count) inputs")
}
print("replayed \(replayed) inputs of \(FuzzTargets.names.count) targets; slowest \(slowest.input) in \(Int(slowest.seconds * 1000)) ms")
// A hang is a failure too: no input may take more than 5 s (the slowest real one is far below).
exit(slowest.seconds > 5 ? 1 : 0)
#endif
